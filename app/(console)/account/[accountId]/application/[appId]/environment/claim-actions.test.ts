import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { listEnvironmentClaims } from "@/lib/edge/claims";
import { environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { verifyClaimAction, withdrawClaimAction } from "./claim-actions";
import { addDomainAction } from "./domain-actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// Claims through the server-action wrapper, signed in as real users: "Add domain" on another account's hostname
// makes a claim; Verify now and Withdraw check the role in the claim's own account.

describe("claim actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let dns: TestDnsServer;
  let restoreEnv: () => void;
  let holder: Awaited<ReturnType<typeof makeApplication>>;
  let claimant: Awaited<ReturnType<typeof makeApplication>>;

  beforeAll(async () => {
    dns = await startDnsServer();
    restoreEnv = setTestEnv({ DNS_SERVERS: dns.address, DNS_TIMEOUT_MS: "300", DNS_TRIES: "1" });
    temp = makeTempDataDir("ec-claim-actions-");
    holder = await makeApplication("actholder");
    claimant = await makeApplication("actclaimant");
  });
  afterAll(async () => {
    temp.cleanup();
    restoreEnv();
    await dns.close();
  });

  it("makes a claim from Add domain, verifies it, and lets only the claimant's domain managers withdraw it", async () => {
    const production = await environmentRow(claimant.app, "Production");
    await signInForActions(claimant.user("developer"));
    expect(await addDomainAction({}, formData({ environmentId: production.id, hostname: "www.actholder.example" }))).toMatchObject({
      ok: true,
      notice: expect.stringContaining("www.actholder.example is used by another account. A claim was made"),
    });
    const [claim] = await listEnvironmentClaims(production.id);
    expect(claim.hostname).toBe("www.actholder.example");

    expect(await verifyClaimAction({}, formData({ claimId: claim.id }))).toMatchObject({
      tone: "info",
      message: "No TXT record at _edge-challenge.www.actholder.example yet.",
    });
    expect(await verifyClaimAction({}, formData({ claimId: claim.id }))).toMatchObject({
      message: expect.stringMatching(/^Checked moments ago/),
    });

    // The holder's owner is no member of the claimant's account; a viewer there may not withdraw.
    await signInForActions(holder.user("owner"));
    expect(await withdrawClaimAction({}, formData({ claimId: claim.id }))).toMatchObject({ message: NOT_FOUND_MESSAGE, tone: "error" });
    expect(await verifyClaimAction({}, formData({ claimId: "01" }))).toMatchObject({ message: NOT_FOUND_MESSAGE });
    await signInForActions(claimant.user("viewer"));
    expect(await withdrawClaimAction({}, formData({ claimId: claim.id }))).toMatchObject({
      message: "Your role in this account (Viewer) cannot withdraw claims. Ask an owner or admin.",
    });
    expect(await listEnvironmentClaims(production.id)).toHaveLength(1);
    await signInForActions(claimant.user("developer"));
    expect(await withdrawClaimAction({}, formData({ claimId: claim.id }))).toMatchObject({
      tone: "success",
      message: "The claim on www.actholder.example was withdrawn.",
    });
    expect(await listEnvironmentClaims(production.id)).toEqual([]);
    // Adding it again makes a new claim; the same account's own hostname is still refused next to the field.
    expect(await addDomainAction({}, formData({ environmentId: production.id, hostname: "www.actclaimant.example" }))).toMatchObject({
      fieldErrors: { hostname: expect.stringContaining("already used") },
    });
  });
});
