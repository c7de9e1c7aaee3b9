import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApiToken } from "@/lib/api-tokens";
import { listEnvironmentClaims } from "@/lib/edge/claims";
import { environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createApiRouter } from "../router";
import { operations } from ".";

// Adding a hostname through the REST API (docs/product.md §3.5): another account's hostname gives 202 with a claim
// and the TXT record to publish; one of the same account stays a 409 conflict.

// The handlers' modules reach lib/auth/session, whose Auth.js instance needs Next's runtime; the API never calls it.
vi.mock("@/lib/auth/auth", () => ({ auth: async () => null }));

describe("environmentAddDomain and claims", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let dns: TestDnsServer;
  let restoreEnv: () => void;
  let holder: Awaited<ReturnType<typeof makeApplication>>;
  let claimant: Awaited<ReturnType<typeof makeApplication>>;
  let token: string;
  const handle = createApiRouter(operations);
  const post = async (hostname: string) => {
    const res = await handle(
      new Request(
        `http://localhost/api/v1/account/${claimant.app.accountId}/application/${claimant.app.id}/environment/Production/domain/${hostname}`,
        { method: "POST", headers: { authorization: `Bearer ${token}` } },
      ),
    );
    return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
  };

  beforeAll(async () => {
    dns = await startDnsServer();
    restoreEnv = setTestEnv({ DNS_SERVERS: dns.address, DNS_TIMEOUT_MS: "300", DNS_TRIES: "1" });
    temp = makeTempDataDir("ec-api-claims-");
    holder = await makeApplication("apiholder", ["owner"]);
    claimant = await makeApplication("apiclaimant", ["developer"]);
    token = (await createApiToken({ userId: claimant.user("developer").id, name: "t" })).value;
  });
  afterAll(async () => {
    temp.cleanup();
    restoreEnv();
    await dns.close();
  });

  it("answers 202 with the claim for another account's hostname, 409 for its own", async () => {
    const claimed = await post("www.apiholder.example");
    expect(claimed.status).toBe(202);
    const [claim] = await listEnvironmentClaims((await environmentRow(claimant.app, "Production")).id);
    expect(claimed.body).toEqual({
      status: "claimed",
      hostname: "www.apiholder.example",
      detail: expect.stringContaining(`publish TXT _edge-challenge.www.apiholder.example with the value ${claim.verificationToken}`),
      record: { type: "TXT", name: "_edge-challenge.www.apiholder.example", value: claim.verificationToken },
      created_at: claim.createdAt.toISOString(),
    });
    // Asking again answers the same claim.
    expect((await post("www.apiholder.example")).body.record.value).toBe(claim.verificationToken);
    const own = await post("www.apiclaimant.example");
    expect(own.status).toBe(409);
    expect(own.type).toContain("application/problem+json");
    expect(holder.app.accountId).not.toBe(claimant.app.accountId);
  });
});
