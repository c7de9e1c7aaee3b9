import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { getDb } from "@/db";
import { securityEvents, userSessions, users } from "@/db/schema";
import { createEmailToken, redeemResetPasswordToken } from "@/db/queries/email-tokens";
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

const kinds = (userId: number) =>
  getDb()
    .select({ kind: securityEvents.kind })
    .from(securityEvents)
    .where(eq(securityEvents.userId, userId))
    .orderBy(securityEvents.id)
    .all()
    .map((r) => r.kind);
const version = (userId: number) => getDb().select().from(users).where(eq(users.id, userId)).get()!.sessionVersion;

describe("user sessions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let alice: number;
  let bob: number;
  beforeAll(() => {
    temp = makeTempDataDir("ec-sessions-");
    alice = getDb().insert(users).values({ email: "alice@example.com", passwordHash: "x" }).returning().get().id;
    bob = getDb().insert(users).values({ email: "bob@example.com", passwordHash: "x" }).returning().get().id;
  });
  afterAll(() => temp.cleanup());

  it("describes browsers and other clients by their User-Agent", () => {
    expect(describeUserAgent(CHROME)).toBe("Chrome 156 on Linux");
    expect(describeUserAgent(IPHONE)).toBe("Safari 17 on iOS");
    expect(describeUserAgent("git/2.39.5")).toBe("git/2.39.5");
    expect(describeUserAgent(null)).toBe("Unknown device");
  });

  it("starts a session per sign-in with its device and IP, and logs the sign-in", () => {
    const key = startUserSession({ userId: alice, request: req("198.51.100.7") });
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = getDb().select().from(userSessions).where(eq(userSessions.sessionKey, key)).get()!;
    expect(row).toMatchObject({ userId: alice, ip: "198.51.100.7", userAgent: CHROME, revokedAt: null });
    expect(kinds(alice)).toEqual(["signin.success"]);
    expect(checkUserSession({ userId: alice, sessionKey: key })).toBe(true);
  });

  it("refuses a missing, unknown, revoked or another user's key", () => {
    const key = startUserSession({ userId: alice, request: req("198.51.100.7") });
    expect(checkUserSession({ userId: alice, sessionKey: undefined })).toBe(false);
    expect(checkUserSession({ userId: alice, sessionKey: "not-a-key" })).toBe(false);
    expect(checkUserSession({ userId: bob, sessionKey: key })).toBe(false);
    endUserSession({ sessionKey: key, request: req("198.51.100.7") });
    expect(checkUserSession({ userId: alice, sessionKey: key })).toBe(false);
    expect(kinds(alice).at(-1)).toBe("signout");
  });

  it("bumps last seen (and the IP) at most once a minute", () => {
    const t0 = new Date("2030-01-01T00:00:00Z");
    const key = startUserSession({ userId: bob, request: req("203.0.113.1"), now: t0 });
    const seen = () => getDb().select().from(userSessions).where(eq(userSessions.sessionKey, key)).get()!;
    checkUserSession({ userId: bob, sessionKey: key, ip: "203.0.113.2", now: new Date(t0.getTime() + 30_000) });
    expect(seen().lastSeenAt).toEqual(t0);
    const later = new Date(t0.getTime() + LAST_SEEN_RESOLUTION_MS);
    checkUserSession({ userId: bob, sessionKey: key, ip: "203.0.113.2", now: later });
    expect(seen()).toMatchObject({ lastSeenAt: later, ip: "203.0.113.2" });
  });

  it("revokes one's own session by id; another user's id is not found", () => {
    const key = startUserSession({ userId: alice, request: req("198.51.100.8", IPHONE) });
    const id = getDb().select().from(userSessions).where(eq(userSessions.sessionKey, key)).get()!.id;
    expect(revokeUserSession({ userId: bob, sessionId: id, request: req("203.0.113.1") })).toEqual({ ok: false, reason: "not-found" });
    expect(checkUserSession({ userId: alice, sessionKey: key })).toBe(true);
    expect(revokeUserSession({ userId: alice, sessionId: id, request: req("198.51.100.7") })).toEqual({ ok: true });
    expect(checkUserSession({ userId: alice, sessionKey: key })).toBe(false);
    expect(revokeUserSession({ userId: alice, sessionId: id, request: req("198.51.100.7") })).toEqual({ ok: false, reason: "not-found" });
    const event = getDb().select().from(securityEvents).where(eq(securityEvents.kind, "session.revoke")).get()!;
    expect(event).toMatchObject({ userId: alice, ip: "198.51.100.7", data: { sessionUserAgent: IPHONE, sessionIp: "198.51.100.8" } });
  });

  it("signs out everywhere else: version bumped, every row revoked, the kept browser moved to a fresh key", () => {
    const here = startUserSession({ userId: alice, request: req("198.51.100.7") });
    const phone = startUserSession({ userId: alice, request: req("198.51.100.9", IPHONE) });
    const bobs = startUserSession({ userId: bob, request: req("203.0.113.1") });
    const before = version(alice);
    const result = signOutEverywhere({ userId: alice, keepSessionKey: here, request: req("198.51.100.7") });
    expect(result.sessionVersion).toBe(before + 1);
    expect(result.revoked).toBeGreaterThanOrEqual(1); // the phone (and earlier tests' rows); this browser continues on a new row
    expect(version(alice)).toBe(before + 1);
    const kept = result.keptSessionKey!;
    expect(kept).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(kept).not.toBe(here);
    expect(listActiveSessions({ userId: alice }).map((s) => [s.sessionKey, s.ip])).toEqual([[kept, "198.51.100.7"]]);
    // The old key is dead too: a copy of this browser's old cookie cannot be moved to the new version.
    for (const old of [here, phone]) {
      expect(checkUserSession({ userId: alice, sessionKey: old })).toBe(false);
      expect(currentVersionForSession({ userId: alice, sessionKey: old })).toBeNull();
    }
    expect(currentVersionForSession({ userId: alice, sessionKey: kept })).toBe(before + 1);
    expect(currentVersionForSession({ userId: bob, sessionKey: kept })).toBeNull(); // another user's key adopts nothing
    expect(checkUserSession({ userId: bob, sessionKey: bobs })).toBe(true); // other users untouched
    expect(kinds(alice).at(-1)).toBe("session.revoke-all");
  });

  it("without a kept browser every session ends and no key is handed out", () => {
    startUserSession({ userId: alice, request: req("198.51.100.7") });
    const result = signOutEverywhere({ userId: alice, keepSessionKey: "not-a-session-of-alice", request: req("198.51.100.7") });
    expect(result.keptSessionKey).toBeNull();
    expect(listActiveSessions({ userId: alice })).toEqual([]);
  });

  it("a password reset revokes every session and logs password.reset", () => {
    const key = startUserSession({ userId: bob, request: req("203.0.113.1") });
    const token = createEmailToken({
      userId: bob,
      kind: "reset-password",
      email: "bob@example.com",
      expiresAt: new Date(Date.now() + 60_000),
    });
    const before = version(bob);
    expect(redeemResetPasswordToken({ token, passwordHash: "y", request: req("203.0.113.5") }).status).toBe("valid");
    expect(version(bob)).toBe(before + 1);
    expect(checkUserSession({ userId: bob, sessionKey: key })).toBe(false);
    expect(listActiveSessions({ userId: bob })).toEqual([]);
    expect(kinds(bob).at(-1)).toBe("password.reset");
  });
});
