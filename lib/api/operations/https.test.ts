import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { getDb, writeTransaction } from "@/db";
import { auditEvents, domainCertificates, domains } from "@/db/schema";
import { haveTool } from "@/edge/modules/tools";
import { createApiToken } from "@/lib/api-tokens";
import { makeApplication } from "@/lib/environments/fixtures";
import { makeTestPki, type TestPki } from "@/lib/https/test-pki";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createApiRouter } from "../router";
import { operations } from ".";

// HTTPS through the REST API (docs/product.md §9): any member reads the status; only owners and admins upload, go
// back to ACME and renew; another account's member gets 404; a refused certificate is a 400 naming the field; the
// private key is never answered or audited.

vi.mock("@/lib/auth/auth", () => ({ auth: async () => null }));

describe.skipIf(!haveTool("openssl") && process.env.CI !== "true")("domain HTTPS API (needs openssl)", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let restoreEnv: () => void;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeApplication>>;
  let pki: TestPki;
  const tokens: Record<string, string> = {};
  const handle = createApiRouter(operations);
  const hostname = "www.apitls.example";
  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await handle(
      new Request(`http://localhost/api/v1/account/${fixture.app.accountId}/domain/${hostname}${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens[who]}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      }),
    );
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : null };
  };

  beforeAll(async () => {
    restoreEnv = setTestEnv({ ACME_DIRECTORY_URL: "", ACME_EMAIL: "" });
    temp = makeTempDataDir("ec-api-https-");
    fixture = await makeApplication("apitls");
    stranger = await makeApplication("apistranger", ["owner"]);
    for (const role of ["owner", "admin", "developer", "viewer"] as const)
      tokens[role] = (await createApiToken({ userId: fixture.user(role).id, name: "t" })).value;
    tokens.stranger = (await createApiToken({ userId: stranger.user("owner").id, name: "t" })).value;
    await writeTransaction(async (tx) => void (await tx.update(domains).set({ status: "live" }).where(eq(domains.hostname, hostname))));
    pki = makeTestPki();
    pki.ca("Api CA");
  });
  afterAll(() => {
    pki?.remove();
    temp.cleanup();
    restoreEnv();
  });

  it("GET: any member reads the status (ACME off says so); another account's member gets 404", async () => {
    const viewer = await call("viewer", "GET", "/https");
    expect(viewer.status).toBe(200);
    expect(viewer.body).toMatchObject({
      hostname,
      type: "acme",
      status: "none",
      acme_enabled: false,
      acme_off_reason: expect.stringContaining("ACME_DIRECTORY_URL"),
    });
    expect((await call("stranger", "GET", "/https")).status).toBe(404);
  });

  it("POST: viewers and developers are refused (403), strangers get 404, bad certificates are 400 per field", async () => {
    const chain = pki.issue("api-own", "Api CA", [hostname]);
    const key = pki.read("api-own.key");
    const body = { type: "custom", public_certificates: chain, private_key: key };
    expect((await call("viewer", "POST", "/https", body)).status).toBe(403);
    expect((await call("developer", "POST", "/https", body)).status).toBe(403);
    expect((await call("stranger", "POST", "/https", body)).status).toBe(404);
    const wrong = await call("admin", "POST", "/https", { ...body, private_key: pki.key("api-other") });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([{ field: "private_key", message: expect.stringContaining("does not match") }]);
  });

  it("POST custom as admin stores it and never answers the key; type acme returns to automatic", async () => {
    const chain = pki.issue("api-own2", "Api CA", [hostname]);
    const key = pki.read("api-own2.key");
    const verified = await call("admin", "POST", "/https", {
      type: "custom",
      public_certificates: chain,
      private_key: key,
      verify_only: true,
    });
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe("none");
    const stored = await call("admin", "POST", "/https", { type: "custom", public_certificates: chain, private_key: key });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ type: "custom", status: "issued", issuer: "Api CA", subject_alternative_names: [hostname] });
    expect(stored.text).not.toContain("PRIVATE KEY");
    expect((await call("owner", "GET", "/https")).text).not.toContain("PRIVATE KEY");
    const audit = await getDb().select().from(auditEvents).where(eq(auditEvents.action, "certificate.upload"));
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain("PRIVATE KEY");
    const back = await call("owner", "POST", "/https", { type: "acme" });
    expect(back.body).toMatchObject({ type: "acme", status: "none", issuer: null });
  });

  it("renewCertificate: admin only (viewers and developers 403, another account's member 404, no row made); 409 while ACME is off", async () => {
    const rows = async () => (await getDb().select().from(domainCertificates)).length;
    const before = await rows();
    expect((await call("viewer", "POST", "/renewCertificate")).status).toBe(403);
    expect((await call("developer", "POST", "/renewCertificate")).status).toBe(403);
    expect((await call("stranger", "POST", "/renewCertificate")).status).toBe(404);
    expect((await call("stranger", "POST", "/https", { type: "acme" })).status).toBe(404);
    expect(await rows()).toBe(before);
    const off = await call("admin", "POST", "/renewCertificate");
    expect(off.status).toBe(409);
    expect(off.body.detail).toContain("ACME_DIRECTORY_URL");
  });

  it("renewCertificate with ACME on: 202 with the status (queued), then 429 within 5 minutes", async () => {
    // The CA is never reached here: a closed loopback port stands in for the directory URL.
    const restore = setTestEnv({ ACME_DIRECTORY_URL: "https://127.0.0.1:9/directory", ACME_EMAIL: "ops@example.com" });
    try {
      const queued = await call("admin", "POST", "/renewCertificate");
      expect(queued.status, queued.text).toBe(202);
      expect(queued.body).toMatchObject({ hostname, type: "acme" });
      expect(queued.text).not.toMatch(/PRIVATE KEY/);
      const again = await call("owner", "POST", "/renewCertificate");
      expect(again.status).toBe(429);
    } finally {
      restore();
    }
  });

  it("is in the OpenAPI document", async () => {
    const res = await handle(new Request("http://localhost/api/v1/openapi.json"));
    const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths["/account/{accountId}/domain/{hostName}/https"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/account/{accountId}/domain/{hostName}/renewCertificate"] ?? {})).toEqual(["post"]);
  });
});
