import { NextResponse, type NextRequest } from "next/server";

/**
 * Sends visitors without a session cookie from console pages to /login, remembering where they were going.
 * Only a redirect for convenience: every page, action and route checks the session and role itself.
 * `/api` and `/git` stay out of the matcher (their bodies must not be buffered here).
 */
export function proxy(request: NextRequest) {
  const hasSession = request.cookies.has("authjs.session-token") || request.cookies.has("__Secure-authjs.session-token");
  if (hasSession) return NextResponse.next();
  const login = new URL("/login", request.url);
  login.searchParams.set("callbackUrl", request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.redirect(login);
}

export const config = {
  matcher: ["/account/:path*", "/settings/:path*", "/ops/:path*"],
};
