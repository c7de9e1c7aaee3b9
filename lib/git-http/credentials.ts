// Credentials of a git HTTP request: HTTP Basic (RFC 7617) with user `token` or `section-token` and a personal
// API token as the password — what git's credential helpers and `http://token:<value>@host/…` URLs send — or a
// `Bearer` token (RFC 6750) for `git -c http.extraHeader="Authorization: Bearer …"`.

/** User names accepted with an API token as the password (docs/product.md §3.6), compared case-insensitively. */
export const TOKEN_USERNAMES = ["token", "section-token"] as const;

/** The `WWW-Authenticate` challenge of a 401 (RFC 7617), so git asks its credential helper or the user. */
export const BASIC_CHALLENGE = 'Basic realm="Edge Console"';

/**
 * The API token presented in an `Authorization` header value, or null when there is none, the scheme is neither
 * Basic nor Bearer, the Basic user name is not `token`/`section-token`, or the encoding is broken.
 * The value itself is not checked here (see `authenticateToken`).
 */
export function tokenFromAuthorization(header: string | null | undefined): string | null {
  if (!header || header.length > 4096) return null;
  const match = /^\s*(Basic|Bearer)\s+(\S+)\s*$/i.exec(header);
  if (!match) return null;
  if (match[1].toLowerCase() === "bearer") return match[2];
  if (!/^[A-Za-z0-9+/]+=*$/.test(match[2])) return null;
  const decoded = Buffer.from(match[2], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return null;
  const user = decoded.slice(0, colon).trim().toLowerCase();
  const password = decoded.slice(colon + 1).trim();
  if (!(TOKEN_USERNAMES as readonly string[]).includes(user) || !password) return null;
  return password;
}
