import { encode } from "next-auth/jwt";
import { authSecret } from "@/lib/config";
import { startUserSession } from "@/lib/auth/sessions";

// Calling server actions from vitest as a signed-in user. An action reads its session the way every request does
// (lib/auth/session: the Auth.js cookie from `cookies()`, then the user and session rows from the database); only the
// request itself is simulated: a cookie jar holding a real encrypted session token for a real session row.
//
// In a test file:
//   vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
//   vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);
//   await signInForActions(user);            // later actions run as `user`
//   const state = await someAction(undefined, formData({ accountId: 1 }));

const COOKIE = "authjs.session-token";
const jar = new Map<string, string>();

/** Stands in for `next/headers` in tests: the cookie jar of `signInForActions` and a plain request's headers. */
export const nextHeadersMock = {
  cookies: async () => ({
    get: (name: string) => (jar.has(name) ? { name, value: jar.get(name)! } : undefined),
    getAll: () => [...jar].map(([name, value]) => ({ name, value })),
    has: (name: string) => jar.has(name),
    set: () => undefined,
    delete: () => undefined,
  }),
  headers: async () => new Headers({ "user-agent": "vitest", "x-forwarded-for": "127.0.0.1" }),
};

/** Stands in for `next/cache`: revalidation has no page cache to clear in a test. */
export const nextCacheMock = { revalidatePath: () => undefined, revalidateTag: () => undefined };

/**
 * Signs `user` in for the actions that follow: starts a real session row and puts an Auth.js session token for it
 * (encrypted with the console's AUTH_SECRET, salted with the cookie name) in the simulated cookie jar.
 */
export async function signInForActions(user: { id: number; sessionVersion?: number }): Promise<void> {
  const sk = await startUserSession({ userId: user.id, request: { ip: "127.0.0.1", userAgent: "vitest" } });
  const token = await encode({ token: { uid: user.id, sv: user.sessionVersion ?? 0, sk }, secret: authSecret(), salt: COOKIE });
  jar.set(COOKIE, token);
}

/** Signs the simulated browser out (empty cookie jar): actions then redirect to /login. */
export function signOutForActions(): void {
  jar.clear();
}

/** A FormData of text fields, as a form would post them. */
export function formData(fields: Record<string, string | number>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.set(key, String(value));
  return form;
}
