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
  // Browsers drop tabs and newlines from URLs ("/\t/evil" becomes "//evil"): refuse every control character.
  if (/[\u0000-\u001f\u007f\s]/.test(value)) return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return "/";
  // Resolve against a placeholder origin: anything that leaves it is not a path of ours.
  const base = "http://console.invalid";
  let resolved: URL;
  try {
    resolved = new URL(value, base);
  } catch {
    return "/";
  }
  if (resolved.origin !== base) return "/";
  const path = resolved.pathname + resolved.search + resolved.hash;
  if (path.startsWith("/login") || path.startsWith("/signup") || path.startsWith("/api/auth")) return "/";
  return path;
}
