import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { getDb, writeTransaction, one } from "@/db";
import { securityEvents, users } from "@/db/schema";
import { authenticateToken, createApiToken, LAST_USED_RESOLUTION_MS, revokeApiToken } from "@/lib/api-tokens";
import { recordRateLimitedSignIn, RATE_LIMITED_LOG_INTERVAL_MS } from "@/lib/auth/signin-events";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { securityEventDetails, securityEventLabel, SECURITY_EVENT_LABELS } from "./describe";
import { formatSecurityLogCursor, listSecurityEvents, parseSecurityLogCursor } from "./list";
import { recordSecurityEvent, SECURITY_EVENT_KINDS } from "./record";

const headers = (h: Record<string, string>) => new Headers(h);

describe("security log", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let alice: number;
  let bob: number;
  beforeAll(async () => {
    temp = makeTempDataDir("ec-security-log-");
    alice = (await writeTransaction((tx) => one(tx.insert(users).values({ email: "alice@example.com", passwordHash: "x" }).returning())))
      .id;
    bob = (await writeTransaction((tx) => one(tx.insert(users).values({ email: "bob@example.com", passwordHash: "x" }).returning()))).id;
  });
  afterAll(() => temp.cleanup());

  it("pages one user's rows newest first by (time, id), never another user's", async () => {
    const t0 = Date.UTC(2030, 0, 1);
    for (let i = 0; i < 7; i++) {
      // Two rows share each timestamp, so the id decides the order within it.
      await writeTransaction(async (tx) => {
        await recordSecurityEvent(tx, {
          userId: alice,
          kind: "signin.success",
          data: { n: i },
          at: new Date(t0 + Math.floor(i / 2) * 1000),
        });
        await recordSecurityEvent(tx, { userId: bob, kind: "signin.failure", at: new Date(t0 + i * 1000) });
      });
    }
    const seen: number[] = [];
    let before = null;
    for (let page = 0; page < 5; page++) {
      const { rows, next } = await listSecurityEvents({ userId: alice, before, limit: 3 });
      expect(rows.every((r) => r.userId === alice)).toBe(true);
      seen.push(...rows.map((r) => (r.data as { n: number }).n));
      if (!next) break;
      before = parseSecurityLogCursor(next);
    }
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
  });

  it("parses only well-formed cursors", () => {
    expect(parseSecurityLogCursor("1893456000000.12")).toEqual({ at: 1893456000000, id: 12 });
    expect(formatSecurityLogCursor({ createdAt: new Date(5), id: 3 })).toBe("5.3");
    for (const bad of ["", "1.2.3", "abc", "1;drop", undefined, ["1.2"]]) expect(parseSecurityLogCursor(bad as string)).toBeNull();
  });

  it("has a label for every kind and readable details", () => {
    for (const kind of SECURITY_EVENT_KINDS) expect(SECURITY_EVENT_LABELS[kind]).toBeTruthy();
    expect(securityEventLabel("future.kind")).toBe("future.kind");
    expect(securityEventDetails("email.change", { from: "a@x.test", to: "b@x.test" })).toBe("a@x.test → b@x.test");
    expect(securityEventDetails("token.use", { tokenName: "CI", tokenPrefix: "ec_AbCd" })).toBe("Token “CI” (ec_AbCd…)");
    expect(securityEventDetails("session.revoke-all", { revoked: 2 })).toBe("2 other sessions ended");
    expect(securityEventLabel("reauth.failure")).toBe("Wrong current password");
    expect(securityEventDetails("reauth.failure", { purpose: "user.delete" })).toBe("While deleting the user");
  });

  it("records token creation, revocation and use (at most once a minute per token)", async () => {
    const t0 = new Date("2030-02-01T00:00:00Z");
    const request = { ip: "192.0.2.44", userAgent: "git/2.39.5" };
    const { token, value } = await createApiToken({ userId: bob, name: "deploy", now: t0, request });
    await authenticateToken(value, { now: new Date(t0.getTime() + 1000), request });
    await authenticateToken(value, { now: new Date(t0.getTime() + 2000), request });
    await authenticateToken(value, { now: new Date(t0.getTime() + 2000 + LAST_USED_RESOLUTION_MS), request });
    await revokeApiToken({ userId: bob, tokenId: token.id, now: new Date(t0.getTime() + 3 * LAST_USED_RESOLUTION_MS), request });
    await revokeApiToken({ userId: bob, tokenId: token.id, request }); // already revoked: nothing new
    const rows = (await getDb().select().from(securityEvents).where(eq(securityEvents.userId, bob))).filter((r) =>
      r.kind.startsWith("token."),
    );
    expect(rows.map((r) => r.kind)).toEqual(["token.create", "token.use", "token.use", "token.revoke"]);
    expect(rows[1]).toMatchObject({
      ip: "192.0.2.44",
      userAgent: "git/2.39.5",
      data: { tokenName: "deploy", tokenPrefix: value.slice(0, 7) },
    });
    expect(JSON.stringify(rows)).not.toContain(value);
  });

  it("logs a refused (rate-limited) sign-in at most once a minute per user, and nothing for unknown emails", async () => {
    const t0 = new Date("2030-03-01T00:00:00Z");
    const h = headers({ "x-forwarded-for": "203.0.113.50", "user-agent": "curl/8" });
    for (let i = 0; i < 5; i++)
      await recordRateLimitedSignIn({ email: "alice@example.com", headers: h, now: new Date(t0.getTime() + i * 1000) });
    await recordRateLimitedSignIn({
      email: "alice@example.com",
      headers: h,
      now: new Date(t0.getTime() + RATE_LIMITED_LOG_INTERVAL_MS + 5000),
    });
    await recordRateLimitedSignIn({ email: "nobody@example.com", headers: h, now: t0 });
    const rows = await getDb().select().from(securityEvents).where(eq(securityEvents.kind, "signin.rate-limited"));
    expect(rows.map((r) => [r.userId, r.ip, r.userAgent])).toEqual([
      [alice, "203.0.113.50", "curl/8"],
      [alice, "203.0.113.50", "curl/8"],
    ]);
  });
});
