import { tokenFromAuthorization } from "@/lib/git-http/credentials";

type HeaderSource = { get(name: string): string | null };

/**
 * The API token of a request (docs/product.md §3.6): `Authorization: Bearer <token>` (RFC 6750; Basic with user `token` is
 * accepted too, as for git), else Section's `section-token: <token>` header. Null when neither is present. The
 * value is not checked here (see `authenticateToken`).
 */
export function tokenFromApiRequest(headers: HeaderSource): string | null {
  const fromAuthorization = tokenFromAuthorization(headers.get("authorization"));
  if (fromAuthorization) return fromAuthorization;
  const sectionToken = headers.get("section-token")?.trim();
  return sectionToken && sectionToken.length <= 4096 ? sectionToken : null;
}
