import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { captureLog, log, runWithRequestId, annotateRequest, runOutsideRequest } from "./index";
import { createLogger, loggablePath, logLevelFrom, logRequestWhenDone, REDACTED, requestIdFrom, SECRET_KEYS } from "./core.mjs";

// The console's log through the real pino logger: what a line carries, and that secrets never reach it.

const SECRETS = {
  password: "hunter2-password-value",
  token: "ec_live_token_value_0123456789",
  cookie: "authjs.session-token=cookie-value-abc",
  authorization: "Bearer authorization-value-xyz",
  secret: "shared-secret-value",
  privateKey: "-----BEGIN PRIVATE KEY-----private-key-value",
};

describe("log redaction", () => {
  it("censors passwords, tokens, cookies, authorization, secrets and private keys at the top and nested two levels", () => {
    const logged = captureLog();
    try {
      log.info({ ...SECRETS, userId: 7 }, "top level");
      log.warn({ user: { ...SECRETS, email: "a@example.test" } }, "one level down");
      log.error(
        { request: { headers: { ...SECRETS, "set-cookie": ["sid=set-cookie-value"], "user-agent": "curl/8" } } },
        "two levels down",
      );
      log.info(
        { body: { newPassword: "new-password-value", currentPassword: "current-password-value", totpSecret: "JBSWY3DPEHPK3PXP" } },
        "forms",
      );
    } finally {
      logged.stop();
    }
    const text = logged.text();
    for (const value of [...Object.values(SECRETS), "set-cookie-value", "new-password-value", "current-password-value", "JBSWY3DPEHPK3PXP"])
      expect(text).not.toContain(value);
    const [top, one, two, forms] = logged.lines();
    expect(top).toMatchObject({ level: "info", msg: "top level", userId: 7, password: REDACTED, token: REDACTED, privateKey: REDACTED });
    expect(one.user).toEqual({ ...Object.fromEntries(Object.keys(SECRETS).map((k) => [k, REDACTED])), email: "a@example.test" });
    expect(two).toMatchObject({
      level: "error",
      request: { headers: { cookie: REDACTED, "set-cookie": REDACTED, "user-agent": "curl/8" } },
    });
    expect(forms.body).toEqual({ newPassword: REDACTED, currentPassword: REDACTED, totpSecret: REDACTED });
    expect(SECRET_KEYS).toEqual(expect.arrayContaining(["password", "token", "cookie", "authorization", "secret", "privateKey"]));
  });

  it("writes JSON lines with the level's name, an ISO time and the error's stack under err", () => {
    const logged = captureLog();
    log.error({ err: new Error("disk full") }, "could not write");
    logged.stop();
    const [line] = logged.lines();
    expect(line).toMatchObject({ level: "error", msg: "could not write", err: { type: "Error", message: "disk full" } });
    expect(String(line.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(String((line.err as { stack: string }).stack)).toContain("log.test.ts");
  });
});

describe("request context", () => {
  it("adds the X-Request-Id and the ids annotated during the request, and nothing outside it", async () => {
    const logged = captureLog();
    await runWithRequestId("edge-req_01:ab.c", async () => {
      log.info("before sign-in");
      await new Promise((r) => setTimeout(r, 5));
      annotateRequest({ userId: 12, accountId: 3 });
      log.info("after sign-in");
      runOutsideRequest(() => log.info("a timer's line"));
    });
    runWithRequestId(["a", "b"], () => log.info("two headers"));
    runWithRequestId("bad id with spaces", () => log.info("bad id"));
    annotateRequest({ userId: 99 }); // outside a request: nothing to annotate
    log.info("no request");
    logged.stop();
    const lines = logged.lines();
    expect(lines.map((l) => [l.msg, l.requestId, l.userId, l.accountId])).toEqual([
      ["before sign-in", "edge-req_01:ab.c", undefined, undefined],
      ["after sign-in", "edge-req_01:ab.c", 12, 3],
      ["a timer's line", undefined, undefined, undefined],
      ["two headers", undefined, undefined, undefined],
      ["bad id", undefined, undefined, undefined],
      ["no request", undefined, undefined, undefined],
    ]);
  });

  it("accepts request ids by the edge's rule only", () => {
    expect(requestIdFrom("0a1B-2c.3:4_5")).toBe("0a1B-2c.3:4_5");
    expect(requestIdFrom("x".repeat(128))).toBe("x".repeat(128));
    for (const bad of ["", "x".repeat(129), "a b", "a\nb", "é", ["a"], null, undefined]) expect(requestIdFrom(bad)).toBeUndefined();
  });
});

describe("LOG_LEVEL", () => {
  it("filters below the level, falls back to info for an unknown value and says so", () => {
    expect(logLevelFrom(undefined)).toEqual({ level: "info", invalid: false });
    expect(logLevelFrom(" DEBUG ")).toEqual({ level: "debug", invalid: false });
    expect(logLevelFrom("verbose")).toEqual({ level: "info", invalid: true });
    const lines: string[] = [];
    const warnOnly = createLogger({ env: { LOG_LEVEL: "warn" }, sink: { write: (l: string) => lines.push(l) } });
    warnOnly.info("hidden");
    warnOnly.warn("shown");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["shown"]);
    lines.length = 0;
    const unknown = createLogger({ env: { LOG_LEVEL: "verbose" }, sink: { write: (l: string) => lines.push(l) } });
    unknown.debug("hidden");
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: "warn", msg: expect.stringMatching(/LOG_LEVEL="verbose"/) }),
    ]);
  });
});

describe("access log", () => {
  it("keeps tokens of mail links and query strings out of the path", () => {
    expect(loggablePath("/invite/AbC_-123xyz?next=/x")).toBe("/invite/[token]");
    expect(loggablePath("/reset-password/tok")).toBe("/reset-password/[token]");
    expect(loggablePath("/verify-email/tok/")).toBe("/verify-email/[token]/");
    expect(loggablePath("/change-email/tok")).toBe("/change-email/[token]");
    expect(loggablePath("/change-email/undo/tok")).toBe("/change-email/undo/[token]");
    expect(loggablePath("/login?callbackUrl=%2Fsettings&token=abc")).toBe("/login");
    expect(loggablePath("/account/3/application/4")).toBe("/account/3/application/4");
    expect(loggablePath("/invitees/x")).toBe("/invitees/x");
    expect(loggablePath(undefined)).toBe("/");
  });

  it("logs one line per answered request of a real HTTP server, with the request's context, and none for /_next/", async () => {
    const logged = captureLog();
    const server = http.createServer((req, res) => {
      const context: Record<string, string | number> = { requestId: "edge-1" };
      logRequestWhenDone(req, res, context);
      context.userId = 5; // as annotateRequest does once the request has signed in
      res.writeHead(req.url?.startsWith("/invite/") ? 200 : 404).end("ok");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const linkToken = "Zm9vYmFyLWxpbmstdG9rZW4tdmFsdWUtMTIzNDU2Nzg5MA";
    try {
      expect((await fetch(`${base}/invite/${linkToken}?email=a%40b.test`)).status).toBe(200);
      expect((await fetch(`${base}/_next/static/chunk.js`)).status).toBe(404);
      expect((await fetch(`${base}/nope`, { method: "POST" })).status).toBe(404);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      server.close();
      logged.stop();
    }
    const lines = logged.lines().filter((l) => l.msg === "request");
    expect(lines).toEqual([
      expect.objectContaining({ level: "info", method: "GET", path: "/invite/[token]", status: 200, requestId: "edge-1", userId: 5 }),
      expect.objectContaining({ method: "POST", path: "/nope", status: 404 }),
    ]);
    expect(typeof lines[0].ms).toBe("number");
    expect(logged.text()).not.toContain(linkToken);
    expect(logged.text()).not.toContain("a%40b.test");
  });
});
