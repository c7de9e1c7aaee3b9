import Bowser from "bowser";

/**
 * A short description of the browser and system behind a User-Agent header, for the sessions list and the
 * security log: "Chrome 156 on Linux", "Safari 17 on iOS", "git/2.39.5" for a non-browser client, or
 * "Unknown device" without a header. Parsed by bowser; the major version only.
 */
export function describeUserAgent(userAgent: string | null | undefined): string {
  const ua = userAgent?.trim();
  if (!ua) return "Unknown device";
  const parsed = Bowser.parse(ua);
  const browser = parsed.browser.name ? [parsed.browser.name, parsed.browser.version?.split(".")[0]].filter(Boolean).join(" ") : null;
  const os = parsed.os.name ?? null;
  if (browser && os) return `${browser} on ${os}`;
  if (browser) return browser;
  // Not a browser (git, curl, a script): its own product token, e.g. "git/2.39.5".
  const product = ua.split(/\s+/)[0]!.slice(0, 60);
  return os ? `${product} on ${os}` : product;
}
