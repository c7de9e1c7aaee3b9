/**
 * A same-site path to return to after signing in, or "/" — never another origin
 * (rejects absolute URLs, protocol-relative `//host` and backslash tricks).
 */
export function safeReturnPath(raw: unknown): string {
  if (typeof raw !== "string" || raw.length > 2000) return "/";
  let value = raw;
  try {
    // Auth.js builds callbackUrl as an absolute URL on our own host: keep only its path.
    if (/^https?:\/\//i.test(value)) {
      const url = new URL(value);
      value = url.pathname + url.search;
    }
  } catch {
    return "/";
  }
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/";
  if (value.startsWith("/login") || value.startsWith("/signup") || value.startsWith("/api/auth")) return "/";
  return value;
}
