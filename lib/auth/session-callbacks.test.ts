import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import type { JWT } from "next-auth/jwt";
import { getDb, first } from "@/db";
import { userSessions } from "@/db/schema";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { jwtCallback, sessionCallback } from "./session-callbacks";
import { endUserSession, revokeUserSession, signOutEverywhere, startUserSession } from "./sessions";

// The callbacks behind Auth.js's own endpoints (`/api/auth/session` GET runs `jwt` then `session`; its POST, the
// update, runs `jwt` with trigger "update"): Auth.js re-issues the cookie for whatever `jwt` returns and clears it
// for null. A session that was signed out, revoked, or outdated by "sign out everywhere" must get null.

const req = { ip: "127.0.0.1", userAgent: "vitest" };

/** The token a browser holds for a session of `user` (what the `jwt` callback wrote at sign-in). */
const tokenOf = (user: { id: number; sessionVersion: number }, sk: string): JWT => ({ uid: user.id, sv: user.sessionVersion, sk });

/** `/api/auth/session` GET as Auth.js runs it: the session body, or null when the cookie is cleared. */
async function sessionEndpoint(token: JWT) {
  const next = await jwtCallback({ token: { ...token } });
  return next === null ? null : sessionCallback({ session: { user: {}, expires: "" } as never, token: next });
}

describe("Auth.js session callbacks", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(() => {
    temp = makeTempDataDir("ec-session-callbacks-");
  });
  afterAll(() => temp.cleanup());

  it("keep a live session alive (GET and update), with the user id and nothing of the session key", async () => {
    const user = await makeUser("live@example.com");
    const sk = await startUserSession({ userId: user.id, request: req });
    const session = await sessionEndpoint(tokenOf(user, sk));
    expect(session).toMatchObject({ user: { id: String(user.id) }, sessionVersion: 0 });
    expect(JSON.stringify(session)).not.toContain(sk);
    expect(await jwtCallback({ token: tokenOf(user, sk), trigger: "update", session: {} })).toMatchObject({ sk });
  });

  it("answer a signed-out session with null (Auth.js then clears the cookie), for GET and update", async () => {
    const user = await makeUser("signed-out@example.com");
    const sk = await startUserSession({ userId: user.id, request: req });
    await endUserSession({ sessionKey: sk, request: req });
    expect(await sessionEndpoint(tokenOf(user, sk))).toBeNull();
    expect(await jwtCallback({ token: tokenOf(user, sk), trigger: "update", session: {} })).toBeNull();
  });

  it("answer a session revoked from the sessions list with null", async () => {
    const user = await makeUser("revoked@example.com");
    const sk = await startUserSession({ userId: user.id, request: req });
    const row = (await first(getDb().select().from(userSessions).where(eq(userSessions.sessionKey, sk))))!;
    await revokeUserSession({ userId: user.id, sessionId: row.id, request: req });
    expect(await sessionEndpoint(tokenOf(user, sk))).toBeNull();
  });

  it("answer tokens of an outdated session version, unknown keys and malformed tokens with null", async () => {
    const user = await makeUser("outdated@example.com");
    const sk = await startUserSession({ userId: user.id, request: req });
    expect(await sessionEndpoint({ ...tokenOf(user, sk), sv: user.sessionVersion - 1 })).toBeNull();
    expect(await sessionEndpoint(tokenOf(user, "no-such-key"))).toBeNull();
    expect(await sessionEndpoint({ uid: user.id, sv: 0 })).toBeNull();
    expect(await sessionEndpoint({ uid: "1e0", sv: 0, sk })).toBeNull();
  });

  it("after 'sign out everywhere': other browsers are dead; only the server's update moves the kept one to its new row", async () => {
    const user = await makeUser("everywhere@example.com");
    const here = await startUserSession({ userId: user.id, request: req });
    const other = await startUserSession({ userId: user.id, request: req });
    const result = await signOutEverywhere({ userId: user.id, keepSessionKey: here, request: req });
    expect(await sessionEndpoint(tokenOf(user, other))).toBeNull();
    expect(await jwtCallback({ token: tokenOf(user, other), trigger: "update", session: { sk: "made-up" } })).toBeNull();
    expect(await jwtCallback({ token: tokenOf(user, other), trigger: "update", session: {} })).toBeNull();
    // The kept browser's token from before the bump is dead until the server moves it (reissueSession).
    expect(await sessionEndpoint(tokenOf(user, here))).toBeNull();
    const moved = await jwtCallback({ token: tokenOf(user, here), trigger: "update", session: { sk: result.keptSessionKey } });
    expect(moved).toMatchObject({ sk: result.keptSessionKey, sv: result.sessionVersion });
    expect(await sessionEndpoint(moved!)).toMatchObject({ user: { id: String(user.id) }, sessionVersion: result.sessionVersion });
  });

  it("starts a session row at sign-in", async () => {
    const user = await makeUser("sign-in@example.com");
    const token = await jwtCallback({ token: {}, user: { id: String(user.id), sessionVersion: 0 } as never });
    expect(token).toMatchObject({ uid: user.id, sv: 0, sk: expect.any(String) });
    expect(await sessionEndpoint(token!)).toMatchObject({ user: { id: String(user.id) } });
  });
});
