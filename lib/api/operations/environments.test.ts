import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiToken } from "@/lib/api-tokens";
import { createEnvironment } from "@/lib/environments/create";
import { addEnvironmentRow, commitFiles, environmentRow, git, makeApplication } from "@/lib/environments/fixtures";
import { saveFile } from "@/lib/environments/edit";
import { resolveBranch } from "@/lib/git/refs";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createApiRouter } from "../router";
import { operations } from ".";

// Promotion and the configuration through the real router and operations, on real repositories: what git cannot
// merge and what cannot be read are answered 409/422 with the reason, never a 500.

// The handlers' modules reach lib/auth/session, whose Auth.js instance needs Next's runtime; the API never calls it.
vi.mock("@/lib/auth/auth", () => ({ auth: async () => null }));

describe("environments API on real repositories", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let dns: TestDnsServer;
  let restoreEnv: () => void;
  let f: Awaited<ReturnType<typeof makeApplication>>;
  const tokens: Record<string, string> = {};
  const handle = createApiRouter(operations);
  const call = async (who: string, method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers = new Headers({ authorization: `Bearer ${tokens[who]}`, ...init.headers });
    if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
    const res = await handle(
      new Request(`http://localhost/api/v1/account/${f.app.accountId}/application/${f.app.id}${path}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      }),
    );
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  const show = (rev: string) => git(f.repo, "show", `${rev}:section.config.json`);

  beforeAll(async () => {
    dns = await startDnsServer();
    restoreEnv = setTestEnv({ DNS_SERVERS: dns.address, DNS_TIMEOUT_MS: "300", DNS_TRIES: "1" });
    temp = makeTempDataDir("ec-api-env-");
    f = await makeApplication("apienv", ["owner", "developer", "viewer"]);
    for (const role of ["owner", "developer", "viewer"] as const)
      tokens[role] = (await createApiToken({ userId: f.user(role).id, name: "t" })).value;
  });
  afterAll(async () => {
    temp.cleanup();
    restoreEnv();
    await dns.close();
  });

  it("answers 409 with the reason for an environment that shares no history with Production", async () => {
    await commitFiles(
      f.repo,
      null,
      { "section.config.json": show("Production").replace('"Production"', '"Orphan"') },
      { branch: "Orphan" },
    );
    await addEnvironmentRow(f.app, "Orphan");
    const production = await resolveBranch(f.repo, "Production");
    const res = await call("developer", "POST", "/environment/Orphan/promote");
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain("Orphan and Production share no history");
    expect(await resolveBranch(f.repo, "Production")).toBe(production);
  });

  it("answers a conflict with each file's kind and the config key paths (409 conflict_details)", async () => {
    const staging = await createEnvironment({
      application: f.app,
      actor: f.actor("developer"),
      name: "Staging",
      source: "Production",
      hostname: { hostname: "staging.apienv.example", unicode: "staging.apienv.example", isApex: false },
      ownershipRequired: false,
    });
    if (!staging.ok) throw new Error(staging.message);
    const production = await environmentRow(f.app, "Production");
    for (const [env, port] of [
      [staging.environment, 8080],
      [production, 9090],
    ] as const) {
      const head = (await resolveBranch(f.repo, env.name))!;
      const saved = await saveFile({
        application: f.app,
        environment: env,
        actor: f.actor("developer"),
        path: "section.config.json",
        content: show(head).replace('"port": 443', `"port": ${port}`) + "\n",
        baseCommit: head,
        message: "",
      });
      expect(saved.ok).toBe(true);
    }
    expect((await call("viewer", "POST", "/environment/Staging/promote")).status).toBe(403);
    const res = await call("developer", "POST", "/environment/Staging/promote");
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      conflicts: ["section.config.json"],
      conflict_details: [
        {
          path: "section.config.json",
          kind: "config-keys",
          key_paths: ["environments.Production.origin.port"],
          message: "Production and Staging both changed environments.Production.origin.port in different ways",
        },
      ],
    });
  });

  it("answers 422 with the encoding message for a UTF-16 section.config.json, on GET and PATCH", async () => {
    const head = (await resolveBranch(f.repo, "Orphan"))!;
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(show(head), "utf16le")]);
    const pushed = await commitFiles(f.repo, head, { "section.config.json": utf16 }, { branch: "Orphan" });
    const get = await call("developer", "GET", "/environment/Orphan/configuration");
    expect(get.status).toBe(422);
    expect(get.body.detail).toContain("section.config.json must be UTF-8 (this file is UTF-16 LE, with a byte order mark)");
    const patch = await call("developer", "PATCH", "/environment/Orphan/configuration", {
      body: [{ op: "replace", path: "/environments/Orphan/origin/port", value: 444 }],
      headers: { "content-type": "application/json-patch+json", "if-match": `"${pushed}"` },
    });
    expect(patch.status).toBe(422);
    expect(patch.body.issues[0].message).toContain("must be UTF-8");
    expect(await resolveBranch(f.repo, "Orphan")).toBe(pushed);
  });

  it("answers 422 naming the key path of a key that appears twice, and writes nothing", async () => {
    const head = (await resolveBranch(f.repo, "Orphan"))!;
    const text = show("Production")
      .replace('"Production"', '"Orphan"')
      .replace(/"port": (\d+)/, '"port": $1, "port": 444');
    expect(text).toContain('"port": 444');
    const pushed = await commitFiles(f.repo, head, { "section.config.json": text }, { branch: "Orphan" });
    const patch = await call("developer", "PATCH", "/environment/Orphan/configuration", {
      body: [{ op: "replace", path: "/environments/Orphan/origin/port", value: 445 }],
      headers: { "content-type": "application/json-patch+json", "if-match": "*" },
    });
    expect(patch.status).toBe(422);
    expect(patch.body.issues).toEqual([
      expect.objectContaining({ path: "environments.Orphan.origin.port", message: expect.stringContaining("appears twice") }),
    ]);
    expect(await resolveBranch(f.repo, "Orphan")).toBe(pushed);
  });

  it("creates through the wizard's path: is_admin from the permission table, one account-name rule", async () => {
    const accounts = await handle(
      new Request("http://localhost/api/v1/account", { headers: { authorization: `Bearer ${tokens.developer}` } }),
    );
    expect((await accounts.json()).map((a: { is_admin: boolean }) => a.is_admin)).toEqual([false]);
    const owner = await handle(new Request("http://localhost/api/v1/account", { headers: { authorization: `Bearer ${tokens.owner}` } }));
    expect((await owner.json()).map((a: { is_admin: boolean }) => a.is_admin)).toEqual([true]);

    const create = (who: string, path: string, body: unknown) =>
      handle(
        new Request(`http://localhost/api/v1${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${tokens[who]}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
    const viewer = await create("viewer", `/account/${f.app.accountId}/application/create`, {
      hostname: "shop.apienv.example",
      origin: "203.0.113.9",
    });
    expect(viewer.status).toBe(403);
    const longName = await create("developer", "/account/create", {
      name: "x".repeat(81),
      hostname: "shop.apienv.example",
      origin: "203.0.113.9",
    });
    expect(longName.status).toBe(400);
    expect((await longName.json()).errors).toEqual([{ field: "name", message: "Use at most 80 characters." }]);
    // No origin and no A record: said on the `origin` field.
    const noOrigin = await create("developer", `/account/${f.app.accountId}/application/create`, { hostname: "shop.apienv.example" });
    expect(noOrigin.status).toBe(400);
    expect((await noOrigin.json()).errors).toEqual([
      { field: "origin", message: expect.stringContaining("No usable A record was found for shop.apienv.example") },
    ]);
    dns.set("shop.apienv.example", [{ type: "A", value: "203.0.113.9" }]);
    const made = await create("developer", `/account/${f.app.accountId}/application/create`, {
      hostname: "HTTPS://Shop.ApiEnv.Example/path",
      stackName: "nope",
    });
    expect(made.status).toBe(400);
    expect((await made.json()).errors).toEqual([{ field: "stackName", message: expect.stringMatching(/^Use one of: /) }]);
    const ok = await create("developer", `/account/${f.app.accountId}/application/create`, {
      hostname: "HTTPS://Shop.ApiEnv.Example/path",
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ application_name: "shop.apienv.example", hostnames: ["shop.apienv.example"] });
    const again = await create("developer", `/account/${f.app.accountId}/application/create`, {
      hostname: "shop.apienv.example",
      origin: "203.0.113.9",
    });
    expect(again.status).toBe(409);
  });
});
