import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { listApplicationsOfAccount } from "@/lib/applications/queries";
import { environmentRow, lastAccountOf, makeApplication, tableState } from "@/lib/environments/fixtures";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { makeUser } from "@/lib/testing/people";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { claimInstructions, listEnvironmentClaims } from "@/lib/edge/claims";
import { checkAccountStepAction, checkHostnameStepAction, createApplicationAction } from "./actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// The wizard's actions (docs/product.md §3.3) through the server-action wrapper, signed in as real users; the
// hostname's DNS comes from a test server on loopback.

describe("application wizard actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let dns: TestDnsServer;
  let restoreEnv: () => void;
  let f: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  const counts = async () => {
    const state = await tableState();
    return { accounts: state.accounts, applications: state.applications.length };
  };
  const hostnameStep = (hostname: string) => checkHostnameStepAction({ ok: false, error: "" }, formData({ hostname }));
  const accountStep = (fields: Record<string, string | number>) => checkAccountStepAction({ ok: true }, formData(fields));
  const create = (fields: Record<string, string | number>) =>
    createApplicationAction(
      { ok: false, step: 5, error: "" },
      formData({
        hostname: "shop.wizard.example",
        address: "203.0.113.9",
        protocol: "https",
        port: "",
        hostHeader: "",
        stackId: "varnish",
        ...fields,
      }),
    );

  beforeAll(async () => {
    dns = await startDnsServer();
    restoreEnv = setTestEnv({ DNS_SERVERS: dns.address, DNS_TIMEOUT_MS: "300", DNS_TRIES: "1" });
    temp = makeTempDataDir("ec-wizard-actions-");
    f = await makeApplication("wizard");
    stranger = await makeUser("stranger@example.com");
  });
  afterAll(async () => {
    temp.cleanup();
    restoreEnv();
    await dns.close();
  });

  it("step 1: normalises, refuses what is empty or too long, says a used hostname becomes a claim, and prefills the origin", async () => {
    await signInForActions(stranger);
    expect(await hostnameStep(" ")).toEqual({ ok: false, error: "Enter the hostname of your website, e.g. www.example.com." });
    expect(await hostnameStep("a".repeat(2001))).toEqual({ ok: false, error: "That is too long for a hostname (at most 253 characters)." });
    expect(await hostnameStep("WWW.wizard.example")).toMatchObject({
      ok: true,
      hostname: "www.wizard.example",
      notice:
        "www.wizard.example is already used by an application on this platform. If another account holds it, creating this " +
        "application makes a claim on it: publish the TXT record shown after creation and the hostname moves to your application.",
    });
    dns.set("shop.wizard.example", [{ type: "A", value: "203.0.113.9" }]);
    expect(await hostnameStep("https://Shop.Wizard.Example/cart")).toMatchObject({
      ok: true,
      hostname: "shop.wizard.example",
      suggestedOrigins: ["203.0.113.9"],
      originHint: "Prefilled from the current A record of shop.wizard.example.",
    });
  });

  it("step 4 and the final step: a non-member is told to choose one of their accounts, a viewer gets the role sentence", async () => {
    const before = await counts();
    await signInForActions(stranger);
    expect(await accountStep({ accountMode: "existing", accountId: f.app.accountId })).toEqual({
      ok: false,
      field: "accountId",
      error: "Choose one of your accounts.",
    });
    expect(await create({ accountMode: "existing", accountId: f.app.accountId })).toEqual({
      ok: false,
      step: 4,
      field: "accountId",
      error: "Choose one of your accounts.",
    });
    await signInForActions(f.user("viewer"));
    const role = "Your role in this account (Viewer) cannot create applications. Ask an owner or admin.";
    expect(await accountStep({ accountMode: "existing", accountId: f.app.accountId })).toEqual({
      ok: false,
      field: "accountId",
      error: role,
    });
    expect(await create({ accountMode: "existing", accountId: f.app.accountId })).toEqual({
      ok: false,
      step: 4,
      field: "accountId",
      error: role,
    });
    expect(await counts()).toEqual(before);
  });

  it("uses the one account-name rule, sends each refusal to its step, and creates for a developer", async () => {
    const before = await counts();
    await signInForActions(f.user("developer"));
    expect(await accountStep({ accountMode: "new", newAccountName: "x".repeat(81) })).toEqual({
      ok: false,
      field: "newAccountName",
      error: "Use at most 80 characters.",
    });
    expect(await create({ accountMode: "new", newAccountName: "x".repeat(81) })).toEqual({
      ok: false,
      step: 4,
      field: "newAccountName",
      error: "Use at most 80 characters.",
    });
    expect(await create({ accountMode: "new", newAccountName: "Mine", address: "10.0.0.1" })).toMatchObject({
      ok: false,
      step: 2,
      field: "address",
    });
    expect(await create({ accountMode: "new", newAccountName: "Mine", stackId: "nope" })).toEqual({
      ok: false,
      step: 3,
      field: "stackId",
      error: "Choose a proxy stack from the list.",
    });
    expect(await create({ accountMode: "new", newAccountName: "Mine", hostname: "localhost" })).toMatchObject({
      ok: false,
      step: 1,
      field: "hostname",
    });
    expect(await counts()).toEqual(before);
    await expect(create({ accountMode: "existing", accountId: f.app.accountId })).rejects.toThrow(/NEXT_REDIRECT/);
    expect(await counts()).toEqual({ ...before, applications: before.applications + 1 });
    expect(await lastAccountOf(f.user("developer").id)).toBe(f.app.accountId);
  });

  it("final step: a hostname another account holds makes the application with a claim (TXT record on its page); the same account's is refused", async () => {
    await signInForActions(stranger);
    const before = await counts();
    // The stranger's new account: the hostname belongs to f's account, so the application comes with a claim.
    await expect(create({ accountMode: "new", newAccountName: "Claimants", hostname: "www.wizard.example" })).rejects.toThrow(
      /NEXT_REDIRECT/,
    );
    expect(await counts()).toEqual({ accounts: before.accounts + 1, applications: before.applications + 1 });
    const [made] = await listApplicationsOfAccount({ accountId: (await lastAccountOf(stranger.id))! });
    expect(made).toMatchObject({ name: "www.wizard.example", hostnames: [] });
    const claims = await listEnvironmentClaims((await environmentRow(made, "Production")).id);
    expect(claims).toMatchObject([{ hostname: "www.wizard.example", accountId: made.accountId }]);
    expect(claimInstructions(claims[0])).toContain(`TXT _edge-challenge.www.wizard.example with the value ${claims[0].verificationToken}`);
    // f's owner creating it again in f's own account is refused at step 1, with nothing written.
    await signInForActions(f.user("owner"));
    const again = await counts();
    expect(await create({ accountMode: "existing", accountId: f.app.accountId, hostname: "www.wizard.example" })).toEqual({
      ok: false,
      step: 1,
      field: "hostname",
      error: "www.wizard.example is already used by another application of this account. Remove it there first, or choose another.",
    });
    expect(await counts()).toEqual(again);
  });
});
