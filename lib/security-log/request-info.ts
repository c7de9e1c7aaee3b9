import { clientIp } from "@/lib/rate-limit";

/** Where a request came from, as the security log and the sessions list keep it. */
export type RequestInfo = { ip: string | null; userAgent: string | null };

type HeaderSource = { get(name: string): string | null };

/** The client IP (lib/rate-limit `clientIp`, null when unknown) and User-Agent (≤ 512 characters) of a request. */
export function requestInfo(headers: HeaderSource): RequestInfo {
  const ip = clientIp(headers);
  return { ip: ip === "unknown" ? null : ip, userAgent: headers.get("user-agent")?.slice(0, 512) ?? null };
}
