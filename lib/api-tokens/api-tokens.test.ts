import { rawReader, rawWriteTransaction } from "@/db/raw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, writeTransaction, one } from "@/db";
import { apiTokens, users } from "@/db/schema";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { hashToken } from "@/lib/tokens";
import {
  API_TOKEN_PATTERN,
  authenticateToken,
  createApiToken,
  createApiTokenSchema,
  LAST_USED_RESOLUTION_MS,
  listApiTokens,
  revokeApiToken,
  tokenState,
} from "./index";

describe("personal API tokens", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let alice: number;
  let bob: number;
  beforeAll(async () => {
    temp = makeTempDataDir("ec-tokens-");
    alice = (
      await writeTransaction((tx) =>
        one(tx.insert(users).values({ email: "alice@example.com", name: "Alice", passwordHash: "x" }).returning()),
      )
    ).id;
    bob = (
      await writeTransaction((tx) => one(tx.insert(users).values({ email: "bob@example.com", name: null, passwordHash: "x" }).returning()))
    ).id;
  });
  afterAll(() => temp.cleanup());

  it("returns the value once and stores only its SHA-256 and a 7-character prefix", async () => {
    const { token, value } = await createApiToken({ userId: alice, name: "  laptop  " });
    expect(value).toMatch(API_TOKEN_PATTERN);
    expect(value).toHaveLength(46);
    expect(Buffer.from(value.slice(3), "base64url")).toHaveLength(32);
    expect(token).toMatchObject({
      userId: alice,
      name: "laptop",
      prefix: value.slice(0, 7),
      readOnly: false,
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(token).not.toHaveProperty("tokenHash");

    const [raw] = await rawReader().rows<Record<string, unknown>>("select * from api_tokens where id = ?", [token.id]);
    expect(raw.token_hash).toBe(hashToken(value));
    expect(raw.token_hash).toMatch(/^[0-9a-f]{64}$/);
    // The value appears in no column, whole or beyond the prefix.
    for (const column of Object.values(raw)) expect(String(column)).not.toContain(value.slice(7));
    expect((await createApiToken({ userId: alice, name: "other" })).value).not.toBe(value);
  });

  it("authenticates an active token as its user and records the last use at most once a minute", async () => {
    const t0 = new Date("2030-01-01T00:00:00Z");
    const { token, value } = await createApiToken({ userId: bob, name: "ci", now: t0 });
    const first = await authenticateToken(value, { now: new Date(t0.getTime() + 1000) });
    expect(first?.user.email).toBe("bob@example.com");
    expect(first?.token.id).toBe(token.id);
    expect(first?.token.lastUsedAt?.getTime()).toBe(t0.getTime() + 1000);

    const lastUsed = async () => (await getDb().select().from(apiTokens)).find((t) => t.id === token.id)!.lastUsedAt!.getTime();
    await authenticateToken(value, { now: new Date(t0.getTime() + 30_000) });
    expect(await lastUsed()).toBe(t0.getTime() + 1000);
    await authenticateToken(value, { now: new Date(t0.getTime() + 2000 + LAST_USED_RESOLUTION_MS) });
    expect(await lastUsed()).toBe(t0.getTime() + 2000 + LAST_USED_RESOLUTION_MS);
  });

  it("rejects unknown, malformed and altered values", async () => {
    const { value } = await createApiToken({ userId: alice, name: "x" });
    const flipped = value.slice(0, -1) + (value.endsWith("A") ? "B" : "A");
    for (const bad of [flipped, value.slice(3), value + "x", ` ${value}`, "", "ec_", hashToken(value), value.toUpperCase()]) {
      expect(await authenticateToken(bad), bad).toBeNull();
    }
    expect(await authenticateToken(value)).not.toBeNull();
  });

  it("expires tokens after the chosen number of days", async () => {
    const now = new Date("2030-06-01T12:00:00Z");
    const { token, value } = await createApiToken({ userId: alice, name: "week", expiresInDays: 7, now });
    expect(token.expiresAt?.toISOString()).toBe("2030-06-08T12:00:00.000Z");
    expect(await authenticateToken(value, { now: new Date("2030-06-08T11:59:59Z") })).not.toBeNull();
    expect(await authenticateToken(value, { now: new Date("2030-06-08T12:00:00Z") })).toBeNull();
    expect(tokenState(token, new Date("2030-06-09T00:00:00Z"))).toBe("expired");
    await expect(createApiToken({ userId: alice, name: "bad", expiresInDays: 0 })).rejects.toThrow(RangeError);
    await expect(createApiToken({ userId: alice, name: "bad", expiresInDays: 1.5 })).rejects.toThrow(RangeError);
  });

  it("revokes only the owner's own tokens; a revoked token authenticates nothing", async () => {
    const { token, value } = await createApiToken({ userId: alice, name: "to revoke" });
    expect(await revokeApiToken({ userId: bob, tokenId: token.id })).toEqual({ ok: false, reason: "not-found" });
    expect(await authenticateToken(value)).not.toBeNull();
    expect(await revokeApiToken({ userId: alice, tokenId: 999_999 })).toEqual({ ok: false, reason: "not-found" });

    const revoked = await revokeApiToken({ userId: alice, tokenId: token.id, now: new Date("2030-01-02T00:00:00Z") });
    expect(revoked.ok && revoked.token.revokedAt?.toISOString()).toBe("2030-01-02T00:00:00.000Z");
    expect(await authenticateToken(value)).toBeNull();
    expect(tokenState(revoked.ok ? revoked.token : token)).toBe("revoked");
    // Revoking again keeps the first time.
    const again = await revokeApiToken({ userId: alice, tokenId: token.id });
    expect(again.ok && again.token.revokedAt?.toISOString()).toBe("2030-01-02T00:00:00.000Z");
  });

  it("keeps the read-only scope and lists only the user's own tokens, newest first", async () => {
    const { token, value } = await createApiToken({ userId: bob, name: "read only", readOnly: true });
    expect(token.readOnly).toBe(true);
    expect((await authenticateToken(value))?.token.readOnly).toBe(true);
    const bobs = await listApiTokens({ userId: bob });
    // "ci" was created "in 2030" (an earlier test's clock), so it is the newest.
    expect(bobs.map((t) => t.name)).toEqual(["ci", "read only"]);
    expect(bobs.every((t) => t.userId === bob)).toBe(true);
    expect(bobs[1].id).toBe(token.id);
    expect((await listApiTokens({ userId: alice })).some((t) => t.userId !== alice)).toBe(false);
    expect(bobs[0]).not.toHaveProperty("tokenHash");
  });

  it("a deleted user's tokens go with them", async () => {
    const carol = (
      await writeTransaction((tx) => one(tx.insert(users).values({ email: "carol@example.com", passwordHash: "x" }).returning()))
    ).id;
    const { value } = await createApiToken({ userId: carol, name: "c" });
    await rawWriteTransaction((db) => db.run("delete from users where id = ?", [carol]));
    expect(await authenticateToken(value)).toBeNull();
    expect(await listApiTokens({ userId: carol })).toEqual([]);
  });

  it("parses the form: trimmed name, optional whole days, a checkbox", () => {
    expect(createApiTokenSchema.parse({ name: " deploy ", expiresInDays: "", readOnly: undefined })).toEqual({
      name: "deploy",
      expiresInDays: null,
      readOnly: false,
    });
    expect(createApiTokenSchema.parse({ name: "x", expiresInDays: " 30 ", readOnly: "on" })).toEqual({
      name: "x",
      expiresInDays: 30,
      readOnly: true,
    });
    for (const days of ["0", "-1", "1.5", "abc", "3651"]) {
      const result = createApiTokenSchema.safeParse({ name: "x", expiresInDays: days });
      expect(result.success, days).toBe(false);
      expect(result.error?.issues[0].message).toMatch(/whole number of days from 1 to 3650/);
    }
    expect(createApiTokenSchema.safeParse({ name: "   " }).error?.issues[0].message).toMatch(/name/);
    expect(createApiTokenSchema.safeParse({ name: "x".repeat(101) }).success).toBe(false);
  });
});
