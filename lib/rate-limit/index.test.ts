import { rawWriteTransaction } from "@/db/raw";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeDb, databaseFile, dialect } from "@/db";
import pg from "pg";
import { resetSettings, settings } from "@/lib/config";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";

/** One row as a separate connection sees it (what another server process reads): a new SQLite or pg connection. */
async function otherProcessView<T>(text: string, params: unknown[]): Promise<T> {
  if (dialect() === "sqlite") {
    const other = new Database(databaseFile(), { readonly: true });
    try {
      return other.prepare(text).get(...params) as T;
    } finally {
      other.close();
    }
  }
  const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await other.connect();
  try {
    return (await other.query(text.replace("?", "$1"), params)).rows[0] as T;
  } finally {
    await other.end();
  }
}
import { clientIp, consumeRateLimit, ipKey, RATE_LIMIT_TABLE, rateLimitMessage, refundRateLimit } from "./index";

const LIMIT_VARS = [
  "RATE_LIMIT_LOGIN_PER_IP",
  "RATE_LIMIT_LOGIN_PER_EMAIL",
  "RATE_LIMIT_LOGIN_WINDOW_SECONDS",
  "RATE_LIMIT_RESET_PER_EMAIL",
];

describe("rate limits", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(() => {
    temp = makeTempDataDir("ec-rate-");
  });
  afterEach(() => {
    for (const name of LIMIT_VARS) delete process.env[name];
    resetSettings();
  });
  afterAll(() => temp.cleanup());

  function limits(vars: Record<string, string>) {
    Object.assign(process.env, vars);
    resetSettings();
  }

  it("refuses the attempt after the per-email limit, with the wait in minutes", async () => {
    limits({ RATE_LIMIT_LOGIN_PER_EMAIL: "3", RATE_LIMIT_LOGIN_PER_IP: "100", RATE_LIMIT_LOGIN_WINDOW_SECONDS: "600" });
    for (let i = 0; i < 3; i++) {
      // Different IPs, one email (typed in another case each time): the email's count still grows.
      expect(await consumeRateLimit("login", { ip: `198.51.100.${i + 1}`, email: i % 2 ? "Ann@Example.com " : "ann@example.com" })).toEqual(
        { ok: true },
      );
    }
    const refused = await consumeRateLimit("login", { ip: "198.51.100.9", email: "ANN@example.com" });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.retryAfterSeconds).toBeGreaterThan(590);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(600);
    expect(refused.message).toBe("Too many attempts. Try again in 10 minutes.");
    // Another email from the same IPs is unaffected.
    expect(await consumeRateLimit("login", { ip: "198.51.100.1", email: "bob@example.com" })).toEqual({ ok: true });
  });

  it("refuses by IP across emails, and counts each kind separately", async () => {
    limits({ RATE_LIMIT_LOGIN_PER_IP: "2", RATE_LIMIT_LOGIN_PER_EMAIL: "100" });
    expect((await consumeRateLimit("login", { ip: "203.0.113.5", email: "a1@example.com" })).ok).toBe(true);
    expect((await consumeRateLimit("login", { ip: "203.0.113.5", email: "a2@example.com" })).ok).toBe(true);
    expect((await consumeRateLimit("login", { ip: "203.0.113.5", email: "a3@example.com" })).ok).toBe(false);
    expect((await consumeRateLimit("login", { ip: "203.0.113.6", email: "a3@example.com" })).ok).toBe(true);
    expect((await consumeRateLimit("signup", { ip: "203.0.113.5", email: "a3@example.com" })).ok).toBe(true);
  });

  it("counts addresses of one IPv6 /64 together", async () => {
    limits({ RATE_LIMIT_LOGIN_PER_IP: "2" });
    expect((await consumeRateLimit("login", { ip: "2001:db8:1:2::1" })).ok).toBe(true);
    expect((await consumeRateLimit("login", { ip: "2001:db8:1:2:ffff::9" })).ok).toBe(true);
    expect((await consumeRateLimit("login", { ip: "2001:db8:1:2:abcd::" })).ok).toBe(false);
    expect((await consumeRateLimit("login", { ip: "2001:db8:1:3::1" })).ok).toBe(true);
  });

  it("gives a refunded attempt back (successful logins do not use up the limit), never below zero", async () => {
    limits({ RATE_LIMIT_LOGIN_PER_EMAIL: "2", RATE_LIMIT_LOGIN_PER_IP: "2" });
    const keys = { ip: "192.0.2.77", email: "ok@example.com" };
    for (let i = 0; i < 5; i++) {
      expect((await consumeRateLimit("login", keys)).ok).toBe(true);
      await refundRateLimit("login", keys);
    }
    await refundRateLimit("login", keys); // nothing left to give back
    await refundRateLimit("login", { email: "never-counted@example.com" });
    expect((await consumeRateLimit("login", keys)).ok).toBe(true);
    expect((await consumeRateLimit("login", keys)).ok).toBe(true);
    expect((await consumeRateLimit("login", keys)).ok).toBe(false);
  });

  it("starts counting again when the window has passed", async () => {
    limits({ RATE_LIMIT_RESET_PER_EMAIL: "1" });
    expect((await consumeRateLimit("reset", { email: "win@example.com" })).ok).toBe(true);
    expect((await consumeRateLimit("reset", { email: "win@example.com" })).ok).toBe(false);
    // Move the stored window's end into the past, as time passing would.
    await rawWriteTransaction((db) =>
      db.run(`UPDATE ${RATE_LIMIT_TABLE} SET expire = ? WHERE key = ?`, [Date.now() - 1, "reset:email:win@example.com"]),
    );
    expect((await consumeRateLimit("reset", { email: "win@example.com" })).ok).toBe(true);
  });

  it("keeps counts in the database across a restart and for another process's client", async () => {
    limits({ RATE_LIMIT_LOGIN_PER_EMAIL: "2" });
    expect((await consumeRateLimit("login", { email: "restart@example.com" })).ok).toBe(true);
    await closeDb(); // a restart: a new client on the same file
    expect((await consumeRateLimit("login", { email: "restart@example.com" })).ok).toBe(true);
    // What a second server process sees: its own connection to the same database.
    const row = await otherProcessView<{ points: number }>(`SELECT points FROM ${RATE_LIMIT_TABLE} WHERE key = ?`, [
      "login:email:restart@example.com",
    ]);
    expect(row.points).toBe(2);
    expect((await consumeRateLimit("login", { email: "restart@example.com" })).ok).toBe(false);
  });

  it("never lets a limit be switched off, and names a malformed variable", () => {
    for (const value of ["0", "-1", "1.5", "many"]) {
      limits({ RATE_LIMIT_LOGIN_PER_IP: value });
      expect(() => settings()).toThrow(/RATE_LIMIT_LOGIN_PER_IP must be a whole number of at least 1/);
    }
    delete process.env.RATE_LIMIT_LOGIN_PER_IP;
    resetSettings();
    expect(settings().rateLimits.login).toEqual({ perIp: 30, perEmail: 10, windowSeconds: 900 });
    expect(settings().rateLimits["verify-resend"].windowSeconds).toBe(3600);
  });

  it("words the wait in whole minutes", () => {
    expect(rateLimitMessage(1)).toBe("Too many attempts. Try again in 1 minute.");
    expect(rateLimitMessage(60)).toBe("Too many attempts. Try again in 1 minute.");
    expect(rateLimitMessage(61)).toBe("Too many attempts. Try again in 2 minutes.");
  });
});

describe("clientIp", () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  it("takes the first hop of X-Forwarded-For, then X-Real-IP, else unknown", () => {
    expect(clientIp(headers({ "x-forwarded-for": "203.0.113.7, 10.0.0.1" }))).toBe("203.0.113.7");
    expect(clientIp(headers({ "x-forwarded-for": "[2001:DB8::1]" }))).toBe("2001:db8::1");
    expect(clientIp(headers({ "x-forwarded-for": "not-an-ip", "x-real-ip": "198.51.100.4" }))).toBe("198.51.100.4");
    expect(clientIp(headers({}))).toBe("unknown");
  });
  it("keys IPv4-mapped IPv6 as IPv4 and IPv6 by /64", () => {
    expect(ipKey("::ffff:127.0.0.1")).toBe("127.0.0.1");
    expect(ipKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(ipKey("unknown")).toBe("unknown");
  });
});
