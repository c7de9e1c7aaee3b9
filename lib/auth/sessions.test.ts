import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { getDb, writeTransaction, first, one } from "@/db";
import { securityEvents, userSessions, users } from "@/db/schema";
import { createEmailToken, redeemResetPasswordToken } from "@/lib/auth/email-tokens";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { describeUserAgent } from "./device";
import {
  checkUserSession,
  currentVersionForSession,
  endUserSession,
  LAST_SEEN_RESOLUTION_MS,
  listActiveSessions,
  revokeUserSession,
  signOutEverywhere,
  startUserSession,
} from "./sessions";

const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const req = (ip: string, userAgent = CHROME) => ({ ip, userAgent });

const kinds = async (userId: number) =>
  (
    await getDb()
      .select({ kind: securityEvents.kind })
      .from(securityEvents)
      .where(eq(securityEvents.userId, userId))
      .orderBy(securityEvents.id)
  ).map((r) => r.kind);
const version = async (userId: number) => (await first(getDb().select().from(users).where(eq(users.id, userId))))!.sessionVersion;

describe("user sessions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let alice: number;
  let bob: number;
  beforeAll(async () => {
    temp = makeTempDataDir("ec-sessions-");
    alice = (await writeTransaction((tx) => one(tx.insert(users).values({ email: "alice@example.com", passwordHash: "x" }).returning())))
      .id;
    bob = (await writeTransaction((tx) => one(tx.insert(users).values({ email: "bob@example.com", passwordHash: "x" }).returning()))).id;
  });
  afterAll(() => temp.cleanup());

  it("describes browsers and other clients by their User-Agent", () => {
    expect(describeUserAgent(CHROME)).toBe("Chrome 156 on Linux");
    expect(describeUserAgent(IPHONE)).toBe("Safari 17 on iOS");
    expect(describeUserAgent("git/2.39.5")).toBe("git/2.39.5");
    expect(describeUserAgent(null)).toBe("Unknown device");
  });

  it("starts a session per sign-in with its device and IP, and logs the sign-in", async () => {
    const key = await startUserSession({ userId: alice, request: req("198.51.100.7") });
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = (await first(getDb().select().from(userSessions).where(eq(userSessions.sessionKey, key))))!;
    expect(row).toMatchObject({ userId: alice, ip: "198.51.100.7", userAgent: CHROME, revokedAt: null });
    expect(await kinds(alice)).toEqual(["signin.success"]);
    expect(await checkUserSession({ userId: alice, sessionKey: key })).toBe(true);
  });

  it("refuses a missing, unknown, revoked or another user's key", async () => {
    const key = await startUserSession({ userId: alice, request: req("198.51.100.7") });
    expect(await checkUserSession({ userId: alice, sessionKey: undefined })).toBe(false);
    expect(await checkUserSession({ userId: alice, sessionKey: "not-a-key" })).toBe(false);
    expect(await checkUserSession({ userId: bob, sessionKey: key })).toBe(false);
    await endUserSession({ sessionKey: key, request: req("198.51.100.7") });
    expect(await checkUserSession({ userId: alice, sessionKey: key })).toBe(false);
    expect((await kinds(alice)).at(-1)).toBe("signout");
  });

  it("bumps last seen (and the IP) at most once a minute", async () => {
    const t0 = new Date("2030-01-01T00:00:00Z");
    const key = await startUserSession({ userId: bob, request: req("203.0.113.1"), now: t0 });
    const seen = async () => (await first(getDb().select().from(userSessions).where(eq(userSessions.sessionKey, key))))!;
    await checkUserSession({ userId: bob, sessionKey: key, ip: "203.0.113.2", now: new Date(t0.getTime() + 30_000) });
    expect((await seen()).lastSeenAt).toEqual(t0);
    const later = new Date(t0.getTime() + LAST_SEEN_RESOLUTION_MS);
    await checkUserSession({ userId: bob, sessionKey: key, ip: "203.0.113.2", now: later });
    expect(await seen()).toMatchObject({ lastSeenAt: later, ip: "203.0.113.2" });
  });

  it("revokes one's own session by id; another user's id is not found", async () => {
    const key = await startUserSession({ userId: alice, request: req("198.51.100.8", IPHONE) });
    const id = (await first(getDb().select().from(userSessions).where(eq(userSessions.sessionKey, key))))!.id;
    expect(await revokeUserSession({ userId: bob, sessionId: id, request: req("203.0.113.1") })).toEqual({
      ok: false,
      reason: "not-found",
    });
    expect(await checkUserSession({ userId: alice, sessionKey: key })).toBe(true);
    expect(await revokeUserSession({ userId: alice, sessionId: id, request: req("198.51.100.7") })).toEqual({ ok: true });
    expect(await checkUserSession({ userId: alice, sessionKey: key })).toBe(false);
    expect(await revokeUserSession({ userId: alice, sessionId: id, request: req("198.51.100.7") })).toEqual({
      ok: false,
      reason: "not-found",
    });
    const event = (await first(getDb().select().from(securityEvents).where(eq(securityEvents.kind, "session.revoke"))))!;
    expect(event).toMatchObject({ userId: alice, ip: "198.51.100.7", data: { sessionUserAgent: IPHONE, sessionIp: "198.51.100.8" } });
  });

  it("signs out everywhere else: version bumped, every row revoked, the kept browser moved to a fresh key", async () => {
    const here = await startUserSession({ userId: alice, request: req("198.51.100.7") });
    const phone = await startUserSession({ userId: alice, request: req("198.51.100.9", IPHONE) });
    const bobs = await startUserSession({ userId: bob, request: req("203.0.113.1") });
    const before = await version(alice);
    const result = await signOutEverywhere({ userId: alice, keepSessionKey: here, request: req("198.51.100.7") });
    expect(result.sessionVersion).toBe(before + 1);
    expect(result.revoked).toBeGreaterThanOrEqual(1); // the phone (and earlier tests' rows); this browser continues on a new row
    expect(await version(alice)).toBe(before + 1);
    const kept = result.keptSessionKey!;
    expect(kept).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(kept).not.toBe(here);
    expect((await listActiveSessions({ userId: alice })).map((s) => [s.sessionKey, s.ip])).toEqual([[kept, "198.51.100.7"]]);
    // The old key is dead too: a copy of this browser's old cookie cannot be moved to the new version.
    for (const old of [here, phone]) {
      expect(await checkUserSession({ userId: alice, sessionKey: old })).toBe(false);
      expect(await currentVersionForSession({ userId: alice, sessionKey: old })).toBeNull();
    }
    expect(await currentVersionForSession({ userId: alice, sessionKey: kept })).toBe(before + 1);
    expect(await currentVersionForSession({ userId: bob, sessionKey: kept })).toBeNull(); // another user's key adopts nothing
    expect(await checkUserSession({ userId: bob, sessionKey: bobs })).toBe(true); // other users untouched
    expect((await kinds(alice)).at(-1)).toBe("session.revoke-all");
  });

  it("without a kept browser every session ends and no key is handed out", async () => {
    await startUserSession({ userId: alice, request: req("198.51.100.7") });
    const result = await signOutEverywhere({ userId: alice, keepSessionKey: "not-a-session-of-alice", request: req("198.51.100.7") });
    expect(result.keptSessionKey).toBeNull();
    expect(await listActiveSessions({ userId: alice })).toEqual([]);
  });

  it("a password reset revokes every session and logs password.reset", async () => {
    const key = await startUserSession({ userId: bob, request: req("203.0.113.1") });
    const token = await createEmailToken({
      userId: bob,
      kind: "reset-password",
      email: "bob@example.com",
      expiresAt: new Date(Date.now() + 60_000),
    });
    const before = await version(bob);
    expect((await redeemResetPasswordToken({ token, passwordHash: "y", request: req("203.0.113.5") })).status).toBe("valid");
    expect(await version(bob)).toBe(before + 1);
    expect(await checkUserSession({ userId: bob, sessionKey: key })).toBe(false);
    expect(await listActiveSessions({ userId: bob })).toEqual([]);
    expect((await kinds(bob)).at(-1)).toBe("password.reset");
  });
});
