import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTransaction, one } from "@/db";
import { users } from "@/db/schema";
import { createApiToken } from "@/lib/api-tokens";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { captureLog } from "@/lib/log";
import { defineOperation } from "./operation";
import { createApiRouter } from "./router";
import { z } from "./zod";

// The wrapper every API request goes through, with real tokens in a temporary database and small operations.

describe("API router", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let token = "";
  const seen: unknown[] = [];
  const handle = createApiRouter([
    defineOperation({
      operationId: "thingGet",
      method: "get",
      path: "/thing/{thingId}",
      tags: ["T"],
      summary: "a thing",
      params: z.object({ thingId: z.coerce.number().int().positive() }),
      responses: { 200: { description: "ok", schema: z.strictObject({ id: z.number() }) } },
      handle: ({ params, caller }) => {
        seen.push(caller.user.email);
        return { status: 200, body: { id: params.thingId } };
      },
    }),
    defineOperation({
      operationId: "thingCreate",
      method: "post",
      path: "/thing/create",
      tags: ["T"],
      summary: "create",
      body: z.strictObject({ name: z.string().max(10) }),
      responses: { 200: { description: "ok", schema: z.strictObject({ name: z.string() }) } },
      handle: ({ body }) => ({ status: 200, body: { name: body.name } }),
    }),
    defineOperation({
      operationId: "thingBroken",
      method: "get",
      path: "/broken",
      tags: ["T"],
      summary: "throws",
      responses: { 200: { description: "ok", schema: z.strictObject({ id: z.number() }) } },
      handle: () => {
        throw new Error("secret internals at /srv/data/console.db");
      },
    }),
    defineOperation({
      operationId: "thingDrifted",
      method: "get",
      path: "/drifted",
      tags: ["T"],
      summary: "answers an undocumented field",
      responses: { 200: { description: "ok", schema: z.strictObject({ id: z.number() }) } },
      handle: () => ({ status: 200, body: { id: 1, passwordHash: "x" } }),
    }),
  ]);
  const call = (path: string, init: RequestInit & { auth?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.auth !== null) headers.set("authorization", `Bearer ${init.auth ?? token}`);
    return handle(new Request(`http://localhost/api/v1${path}`, { ...init, headers }));
  };

  beforeAll(async () => {
    temp = makeTempDataDir("ec-api-router-");
    const user = await writeTransaction((tx) => one(tx.insert(users).values({ email: "ann@example.com", passwordHash: "x" }).returning()));
    token = (await createApiToken({ userId: user.id, name: "t" })).value;
  });
  afterAll(() => temp.cleanup());

  it("answers with and without the trailing slash, as the token's user; Bearer or section-token", async () => {
    for (const path of ["/thing/7", "/thing/7/"]) {
      const res = await call(path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: 7 });
    }
    const section = await handle(new Request("http://localhost/api/v1/thing/8", { headers: { "section-token": token } }));
    expect(section.status).toBe(200);
    expect(seen).toEqual(["ann@example.com", "ann@example.com", "ann@example.com"]);
  });

  it("401 without a token or with an unknown one, with a Bearer challenge", async () => {
    for (const auth of [null, "ec_" + "A".repeat(43)]) {
      const res = await call("/thing/1", { auth });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });

  it("a static segment wins over a parameter; other methods get 405 with Allow; unknown paths and malformed ids 404", async () => {
    const created = await call("/thing/create", { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"x"}' });
    expect(await created.json()).toEqual({ name: "x" });
    const put = await call("/thing/create", { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("POST, OPTIONS");
    expect((await call("/thing/3", { method: "DELETE" })).headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    for (const path of ["/nothing", "/thing/0", "/thing/01", "/thing/1e3", "/thing/%zz"]) expect((await call(path)).status, path).toBe(404);
  });

  it("names unknown and wrong fields in a 400 validation problem", async () => {
    const res = await call("/thing/create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name":"much too long","extra":1}',
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ type: "https://edge-console.dev/problems/validation", status: 400 });
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual(["extra", "name"]);
  });

  it("an unexpected error is a 500 problem without internals, logged with context; so is a body that drifted from its schema", async () => {
    const logged = captureLog();
    for (const path of ["/broken", "/drifted"]) {
      const res = await call(path);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toMatch(/secret|console\.db|passwordHash|at \w+ \(/);
      expect(JSON.parse(text).type).toBe("https://edge-console.dev/problems/internal");
    }
    logged.stop();
    const lines = logged.lines().filter((line) => line.msg === "api: unexpected error");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: "error", method: "GET", path: "/api/v1/broken", err: { type: "Error" } });
  });

  it("HEAD answers like GET without a body (RFC 9110 §9.3.2), errors included", async () => {
    const head = await call("/thing/7", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toBe("application/json");
    expect(await head.text()).toBe("");
    const anonymous = await call("/thing/7", { method: "HEAD", auth: null });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toBe("");
    expect((await call("/thing/0", { method: "HEAD" })).status).toBe(404);
  });

  it("OPTIONS answers 204 with the path's real methods; an unknown path is 404", async () => {
    const get = await call("/thing/7", { method: "OPTIONS", auth: null });
    expect(get.status).toBe(204);
    expect(get.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect((await call("/thing/create/", { method: "OPTIONS" })).headers.get("allow")).toBe("POST, OPTIONS");
    expect((await call("/nothing", { method: "OPTIONS" })).status).toBe(404);
  });
});
