import { NextResponse, type NextRequest } from "next/server";

// Runs before Next handles a page request (docs/architecture.md, "Requests"). Two jobs:
// 1. Server actions whose `Origin` header is present but `null`, malformed or another site's are refused with 403
//    here, before Next would abort them with a 500. The rule is Next's own CSRF rule (the Origin's host must equal
//    the first `X-Forwarded-Host`, else `Host`), applied early, so what passes here also passes Next. A request
//    without Origin is left to Next (browsers always send Origin on these POSTs; Next lets handcrafted ones through).
// 2. Visitors without a session cookie are sent from console pages to /login, remembering where they were going —
//    only a convenience: every page, action and route checks the session and role itself.
// `/api` and `/git` stay out of the matcher: Next buffers the request body of every request a proxy sees, and git
// pushes must stream. (Malformed percent-encoding in any path is answered by scripts/server.mjs.)

const CONSOLE_PREFIXES = ["/account", "/settings", "/ops"];

/** The host (`name[:port]`) a server action may come from: the first `X-Forwarded-Host`, else `Host`. */
function expectedActionHost(request: NextRequest): string | null {
  const forwarded = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  return forwarded || request.headers.get("host");
}

/** Why a server action's Origin is refused, or null when it may run (no Origin: Next decides). */
export function actionOriginRefusal(request: NextRequest): string | null {
  const origin = request.headers.get("origin");
  if (origin === null) return null;
  let host: string;
  try {
    const url = new URL(origin);
    if (url.protocol !== "http:" && url.protocol !== "https:") return "the Origin header is not an http(s) origin";
    host = url.host;
  } catch {
    return origin === "null" ? "the Origin header is null (an opaque origin)" : "the Origin header is malformed";
  }
  return host === expectedActionHost(request) ? null : "the Origin header names another site";
}

/** Refuses bad server-action origins; redirects signed-out visitors of console pages to /login. */
export function proxy(request: NextRequest) {
  if (request.headers.has("next-action")) {
    const refusal = actionOriginRefusal(request);
    if (refusal) {
      return new NextResponse(`Forbidden: ${refusal}. Reload the page from the console's own address and try again.\n`, {
        status: 403,
        headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
      });
    }
  }
  const { pathname } = request.nextUrl;
  const consolePage = CONSOLE_PREFIXES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`));
  if (!consolePage) return NextResponse.next();
  const hasSession = request.cookies.has("authjs.session-token") || request.cookies.has("__Secure-authjs.session-token");
  if (hasSession) return NextResponse.next();
  const login = new URL("/login", request.url);
  login.searchParams.set("callbackUrl", request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.redirect(login);
}

export const config = {
  // Every page path (server actions post to pages: /login, /signup, /invite/…, /account/…, /settings/…, /ops, /),
  // not the API, git, Next's own assets or the public files.
  matcher: ["/((?!api/|git/|_next/static/|_next/image|favicon.ico|robots.txt).*)"],
};
