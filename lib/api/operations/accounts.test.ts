import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { writeTransaction, one } from "@/db";
import { accounts, applications, environments, memberships, users } from "@/db/schema";
import { createApiToken } from "@/lib/api-tokens";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createApiRouter } from "../router";
import { operations } from ".";

// Accounts that require two-factor authentication (docs/product.md §3.2) through the real router and operations: a member
// without 2FA sees that the account exists (id, name, `blocked`) but none of its applications or environments —
// the same refusal `GET /account/{id}` gives with 403 `two-factor-required`.

// The handlers' modules reach lib/auth/session, whose Auth.js instance needs Next's runtime; the API never calls it.
vi.mock("@/lib/auth/auth", () => ({ auth: async () => null }));

describe("account list and graph of a member without two-factor authentication", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let token = "";
  let userId = 0;
  const ids = { strict: 0, open: 0 };
  const handle = createApiRouter(operations);
  const get = async (path: string) => {
    const res = await handle(new Request(`http://localhost/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } }));
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    temp = makeTempDataDir("ec-api-accounts-");
    await writeTransaction(async (db) => {
      userId = (await one(db.insert(users).values({ email: "dev@example.com", passwordHash: "x" }).returning())).id;
      for (const [key, name, required] of [
        ["strict", "Strict", true],
        ["open", "Open", false],
      ] as const) {
        const account = await one(db.insert(accounts).values({ name, requireTwoFactor: required }).returning());
        ids[key] = account.id;
        await db.insert(memberships).values({ userId, accountId: account.id, role: "developer" });
        const app = await one(
          db
            .insert(applications)
            .values({
              accountId: account.id,
              name: `secret-${key}.example.com`,
              repoName: `r-${key}`,
              repoDir: `d-${key}`,
              stackId: "nginx",
            })
            .returning(),
        );
        await db.insert(environments).values({ accountId: account.id, applicationId: app.id, name: "Production" });
      }
    });
    token = (await createApiToken({ userId, name: "t", readOnly: true })).value;
  });
  afterAll(() => temp.cleanup());

  it("the graph lists a blocked account without its applications; GET /account marks it blocked; /account/{id} is 403", async () => {
    const graph = await get("/account/graph");
    expect(graph.status).toBe(200);
    const strict = graph.body.find((a: { id: number }) => a.id === ids.strict);
    const open = graph.body.find((a: { id: number }) => a.id === ids.open);
    expect(strict).toEqual({
      id: ids.strict,
      href: `/api/v1/account/${ids.strict}`,
      account_name: "Strict",
      requires_2fa: true,
      blocked: true,
      applications: [],
    });
    expect(JSON.stringify(graph.body)).not.toContain("secret-strict");
    expect(open).toMatchObject({
      blocked: false,
      applications: [{ application_name: "secret-open.example.com", environments: [{ environment_name: "Production" }] }],
    });

    const list = await get("/account");
    expect(list.body.map((a: { id: number; blocked: boolean }) => [a.id, a.blocked])).toEqual([
      [ids.open, false],
      [ids.strict, true],
    ]);
    expect((await get(`/account/${ids.strict}`)).body.type).toMatch(/two-factor-required$/);
    expect((await get(`/account/${ids.strict}/application`)).status).toBe(403);
  });

  it("once the user turns on two-factor authentication, the account's applications are listed", async () => {
    await writeTransaction((tx) => tx.update(users).set({ totpEnabledAt: new Date() }).where(eq(users.id, userId)));
    const graph = await get("/account/graph");
    const strict = graph.body.find((a: { id: number }) => a.id === ids.strict);
    expect(strict).toMatchObject({ blocked: false, applications: [{ application_name: "secret-strict.example.com" }] });
    expect((await get(`/account/${ids.strict}`)).status).toBe(200);
  });
});
