import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first as firstRow, one } from "@/db";
import { auditEvents, domainClaims, domains } from "@/db/schema";
import { createResolver, type Resolver } from "@/lib/dns/resolver";
import { HOSTNAME_TAKEN, removeDomain } from "@/lib/domains/manage";
import { addEnvironmentRow, environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { startSmtpServer, type TestSmtpServer } from "@/lib/testing/smtp-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { environmentServing } from "./serving";
import { createApiToken } from "@/lib/api-tokens";
import { operations } from "@/lib/api/operations";
import { createApiRouter } from "@/lib/api/router";
import { createEnvironment } from "@/lib/environments/create";
import { listBranches } from "@/lib/git/refs";
import { settleEdgeChanges } from "./changes";
import { addDomainOrClaim, checkClaim, checkDueClaims, claimRecord, listEnvironmentClaims, withdrawClaim } from "./claims";

// Claims on a hostname another account holds (docs/product.md §3.5), end to end: two accounts with real repositories
// in a temporary database, node's resolver over UDP to the loopback DNS server, mail through the real SMTP test
// server.

const host = (name: string) => ({ hostname: name, unicode: name, isApex: false });

describe("hostname claims", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let dns: TestDnsServer;
  let smtp: TestSmtpServer;
  let resolver: Resolver;
  let restoreEnv: () => void;
  let a: Awaited<ReturnType<typeof makeApplication>>;
  let b: Awaited<ReturnType<typeof makeApplication>>;

  beforeAll(async () => {
    dns = await startDnsServer();
    smtp = await startSmtpServer();
    restoreEnv = setTestEnv({
      DNS_SERVERS: dns.address,
      DNS_TIMEOUT_MS: "300",
      DNS_TRIES: "1",
      SMTP_URL: smtp.smtpUrl,
      APP_URL: "http://console.test",
    });
    resolver = createResolver([dns.address]);
    temp = makeTempDataDir("ec-claims-");
    a = await makeApplication("holder");
    b = await makeApplication("claimant");
  });
  afterAll(async () => {
    temp.cleanup();
    restoreEnv();
    await dns.close();
    await smtp.close();
  });

  const actions = async (accountId: number) =>
    (await getDb().select().from(auditEvents).where(eq(auditEvents.accountId, accountId))).map((e) => e.action);

  it("keeps `taken` for a hostname of the same account, and makes one claim for another account's", async () => {
    const aProd = await environmentRow(a.app, "Production");
    const bProd = await environmentRow(b.app, "Production");
    // Same account: today's refusal.
    expect(
      await addDomainOrClaim({
        environment: aProd,
        actor: a.actor("developer"),
        hostname: host("www.holder.example"),
        ownershipRequired: false,
      }),
    ).toEqual({ ok: false, code: "taken", message: HOSTNAME_TAKEN });
    // A viewer of the claimant's account may not claim.
    expect(
      await addDomainOrClaim({
        environment: bProd,
        actor: b.actor("viewer"),
        hostname: host("www.holder.example"),
        ownershipRequired: false,
      }),
    ).toMatchObject({ ok: false, code: "not_found" });
    const first = await addDomainOrClaim({
      environment: bProd,
      actor: b.actor("developer"),
      hostname: host("www.holder.example"),
      ownershipRequired: false,
    });
    expect(first).toMatchObject({
      ok: true,
      kind: "claim",
      created: true,
      claim: { hostname: "www.holder.example", accountId: b.account.id },
    });
    const again = await addDomainOrClaim({
      environment: bProd,
      actor: b.actor("developer"),
      hostname: host("www.holder.example"),
      ownershipRequired: false,
    });
    expect(again).toMatchObject({ ok: true, kind: "claim", created: false });
    expect((await listEnvironmentClaims(bProd.id)).length).toBe(1);
    expect(await actions(b.account.id)).toContain("domain.claim");
    // The holder keeps its domain until the proof is published.
    const held = await firstRow(getDb().select().from(domains).where(eq(domains.hostname, "www.holder.example")));
    expect(held?.accountId).toBe(a.account.id);
  });

  it("does nothing while the TXT record holds another value; the right token moves the hostname and tells the holder", async () => {
    const bProd = await environmentRow(b.app, "Production");
    const [claim] = await listEnvironmentClaims(bProd.id);
    const record = claimRecord(claim);
    expect(record).toEqual({ type: "TXT", name: "_edge-challenge.www.holder.example", value: claim.verificationToken });

    // No record yet.
    const none = await checkClaim(claim.id, { resolver });
    expect(none).toMatchObject({ result: "waiting", message: "No TXT record at _edge-challenge.www.holder.example yet." });
    // A wrong token: nothing moves.
    dns.zone.set(record.name, [{ type: "TXT", value: "not-the-token" }]);
    const wrong = await checkClaim(claim.id, { resolver, now: new Date(Date.now() + 60_000) });
    expect(wrong).toMatchObject({ result: "waiting" });
    expect(wrong.result === "waiting" && wrong.message).toContain('"not-the-token"');
    expect((await firstRow(getDb().select().from(domains).where(eq(domains.hostname, "www.holder.example"))))?.accountId).toBe(
      a.account.id,
    );
    expect(smtp.mails()).toHaveLength(0);
    // "Verify now" again within 10 s is refused.
    expect(await checkClaim(claim.id, { resolver, now: new Date(Date.now() + 61_000), verifyNow: true })).toMatchObject({
      result: "too-soon",
    });

    // A second claim on the same hostname from another environment of the claimant goes away with the move.
    const stagingEnv = await addEnvironmentRow(b.app, "Staging");
    const staging = await writeTransaction(async (tx) =>
      one(
        tx
          .insert(domainClaims)
          .values({
            hostname: "www.holder.example",
            hostnameUnicode: "www.holder.example",
            accountId: b.account.id,
            applicationId: b.app.id,
            environmentId: stagingEnv.id,
            verificationToken: "other-claim-token",
          })
          .returning(),
      ),
    );
    expect(staging.id).toBeGreaterThan(claim.id);

    // The right token (as a DNS panel may store it: quoted, upper case).
    dns.zone.set(record.name, [{ type: "TXT", value: `"${claim.verificationToken.toUpperCase()}"` }]);
    const moved = await checkClaim(claim.id, { resolver, now: new Date(Date.now() + 120_000) });
    expect(moved).toMatchObject({ result: "moved", previousAccountId: a.account.id, mailed: 2 });
    const row = await firstRow(getDb().select().from(domains).where(eq(domains.hostname, "www.holder.example")));
    expect(row).toMatchObject({
      accountId: b.account.id,
      environmentId: bProd.id,
      ownershipRequired: true,
      verificationToken: claim.verificationToken,
    });
    expect(row?.ownershipProvenAt).toBeInstanceOf(Date);
    expect(await getDb().select().from(domainClaims).where(eq(domainClaims.hostname, "www.holder.example"))).toEqual([]);

    // The previous holder's owner and admin were mailed, nobody else.
    const to = smtp
      .mails()
      .flatMap((m) => m.to)
      .sort();
    expect(to).toEqual([a.user("admin").email, a.user("owner").email].sort());
    expect(smtp.mails()[0].subject).toBe("www.holder.example moved to another account");
    expect(smtp.mails()[0].text).toContain(`http://console.test/account/${a.account.id}/application/${a.app.id}`);
    // The edge was told: the claimant's environment is in the desired state now, the previous holder's (no routable
    // hostname left) is not.
    const serving = await environmentServing([bProd.id, (await environmentRow(a.app, "Production")).id]);
    expect(serving.get(bProd.id)?.desiredCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(serving.get((await environmentRow(a.app, "Production")).id)?.desiredCommit).toBeNull();
    // Both audit logs.
    expect(await actions(a.account.id)).toContain("domain.claim.lost");
    expect(await actions(b.account.id)).toContain("domain.claim.won");
  });

  it("can be withdrawn by a member who manages domains, and the background sweep checks due claims", async () => {
    const aProd = await environmentRow(a.app, "Production");
    const bProd = await environmentRow(b.app, "Production");
    // Account A now claims its old name back.
    const claimed = await addDomainOrClaim({
      environment: aProd,
      actor: a.actor("admin"),
      hostname: host("www.holder.example"),
      ownershipRequired: false,
    });
    if (!claimed.ok || claimed.kind !== "claim") throw new Error("expected a claim");
    expect(await withdrawClaim({ claimId: claimed.claim.id, actor: b.actor("owner") })).toEqual({
      ok: false,
      message: expect.stringContaining("Not found"),
    });
    expect(await withdrawClaim({ claimId: claimed.claim.id, actor: a.actor("viewer") })).toMatchObject({ ok: false });
    expect(await withdrawClaim({ claimId: claimed.claim.id, actor: a.actor("developer") })).toEqual({ ok: true });
    expect(await listEnvironmentClaims(aProd.id)).toEqual([]);
    expect(await actions(a.account.id)).toContain("domain.claim.withdraw");

    // A new claim, proven through the background sweep.
    const again = await addDomainOrClaim({
      environment: aProd,
      actor: a.actor("admin"),
      hostname: host("www.holder.example"),
      ownershipRequired: false,
    });
    if (!again.ok || again.kind !== "claim") throw new Error("expected a claim");
    dns.zone.set(claimRecord(again.claim).name, [{ type: "TXT", value: again.claim.verificationToken }]);
    smtp.clear();
    expect(await checkDueClaims({ resolver })).toEqual({ checked: 1, moved: 1 });
    expect((await firstRow(getDb().select().from(domains).where(eq(domains.hostname, "www.holder.example"))))?.environmentId).toBe(
      aProd.id,
    );
    expect(
      smtp
        .mails()
        .flatMap((m) => m.to)
        .sort(),
    ).toEqual([b.user("admin").email, b.user("owner").email].sort());
    expect(await listEnvironmentClaims(bProd.id)).toEqual([]);
  });
  it("settles the claimant's own claim when the hostname becomes free and it is added", async () => {
    const aProd = await environmentRow(a.app, "Production");
    const bProd = await environmentRow(b.app, "Production");
    const added = await addDomainOrClaim({
      environment: aProd,
      actor: a.actor("owner"),
      hostname: host("shop.holder.example"),
      ownershipRequired: false,
    });
    if (!added.ok || added.kind !== "domain") throw new Error("expected a domain");
    const claim = await addDomainOrClaim({
      environment: bProd,
      actor: b.actor("owner"),
      hostname: host("shop.holder.example"),
      ownershipRequired: false,
    });
    expect(claim).toMatchObject({ ok: true, kind: "claim", created: true });
    expect(await removeDomain({ domainId: added.domain.id, actor: a.actor("owner") })).toMatchObject({ ok: true });
    const again = await addDomainOrClaim({
      environment: bProd,
      actor: b.actor("owner"),
      hostname: host("shop.holder.example"),
      ownershipRequired: false,
    });
    expect(again).toMatchObject({ ok: true, kind: "domain", domain: { accountId: b.account.id } });
    expect((await listEnvironmentClaims(bProd.id)).map((c) => c.hostname)).not.toContain("shop.holder.example");
  });
  it("settles a stale claim on a hostname its own account holds already, whatever the TXT record says", async () => {
    const aProd = await environmentRow(a.app, "Production");
    const bProd = await environmentRow(b.app, "Production");
    const added = await addDomainOrClaim({
      environment: aProd,
      actor: a.actor("owner"),
      hostname: host("cart.holder.example"),
      ownershipRequired: false,
    });
    if (!added.ok || added.kind !== "domain") throw new Error("expected a domain");
    const claimed = await addDomainOrClaim({
      environment: bProd,
      actor: b.actor("owner"),
      hostname: host("cart.holder.example"),
      ownershipRequired: false,
    });
    if (!claimed.ok || claimed.kind !== "claim") throw new Error("expected a claim");
    // The state a creation under READ COMMITTED can leave (docs/architecture.md "Creations and deletions under READ COMMITTED"): the
    // hostname moved to B by an older claim's transfer that did not see this newer claim, so B holds it and claims it.
    await writeTransaction((tx) =>
      tx
        .update(domains)
        .set({ accountId: b.account.id, applicationId: b.app.id, environmentId: bProd.id })
        .where(eq(domains.id, added.domain.id)),
    );
    dns.zone.set(claimRecord(claimed.claim).name, [{ type: "TXT", value: "the older claim's token" }]);
    expect(await checkClaim(claimed.claim.id, { resolver })).toEqual({ result: "not-found" });
    expect(await listEnvironmentClaims(bProd.id)).not.toContainEqual(expect.objectContaining({ hostname: "cart.holder.example" }));
    expect(await firstRow(getDb().select().from(domains).where(eq(domains.hostname, "cart.holder.example")))).toMatchObject({
      id: added.domain.id,
      environmentId: bProd.id,
    });
  });
});

describe("claims on every creation path (docs/product.md §3.5: the wizard, the API, new environments)", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let dns: TestDnsServer;
  let restoreEnv: () => void;
  let resolver: Resolver;
  let keeper: Awaited<ReturnType<typeof makeApplication>>;
  let newcomer: Awaited<ReturnType<typeof makeApplication>>;
  let api: ReturnType<typeof createApiRouter>;

  beforeAll(async () => {
    dns = await startDnsServer();
    restoreEnv = setTestEnv({ DNS_SERVERS: dns.address, DNS_TIMEOUT_MS: "300", DNS_TRIES: "1", APP_URL: "http://console.test" });
    resolver = createResolver([dns.address]);
    temp = makeTempDataDir("ec-claims-create-");
    keeper = await makeApplication("keeper");
    newcomer = await makeApplication("newcomer");
    api = createApiRouter(operations);
    const added = await addDomainOrClaim({
      environment: await environmentRow(keeper.app, "Production"),
      actor: keeper.actor("owner"),
      hostname: host("staging.keeper.example"),
      ownershipRequired: false,
    });
    if (!added.ok || added.kind !== "domain") throw new Error("expected a domain");
  });
  afterAll(async () => {
    await settleEdgeChanges();
    temp.cleanup();
    restoreEnv();
    await dns.close();
  });

  const post = async (user: { id: number }, path: string, body: object) => {
    const { value } = await createApiToken({ userId: user.id, name: `t${Math.random()}` });
    const response = await api(
      new Request(`http://localhost/api/v1${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${value}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const claimsOf = async (applicationId: number) =>
    getDb().select().from(domainClaims).where(eq(domainClaims.applicationId, applicationId));
  const holderOf = async (hostname: string) =>
    (await firstRow(getDb().select().from(domains).where(eq(domains.hostname, hostname))))?.accountId;

  it("API application creation: 202 with the application and its claim; the same account's hostname is a 409", async () => {
    const created = await post(newcomer.user("owner"), `/account/${newcomer.account.id}/application/create`, {
      hostname: "www.keeper.example",
      origin: "203.0.113.9",
    });
    expect(created.status).toBe(202);
    const claim = created.body.claim as {
      status: string;
      hostname: string;
      record: { type: string; name: string; value: string };
      detail: string;
    };
    expect(claim).toMatchObject({
      status: "claimed",
      hostname: "www.keeper.example",
      record: { type: "TXT", name: "_edge-challenge.www.keeper.example" },
    });
    expect(claim.detail).toContain("is used by another account");
    expect(created.body).toMatchObject({ application_name: "www.keeper.example", environments: [{ environment_name: "Production" }] });
    const rows = await claimsOf(created.body.id as number);
    expect(rows).toMatchObject([{ hostname: "www.keeper.example", accountId: newcomer.account.id, verificationToken: claim.record.value }]);
    expect(await holderOf("www.keeper.example")).toBe(keeper.account.id);

    const refused = await post(keeper.user("owner"), `/account/${keeper.account.id}/application/create`, {
      hostname: "www.keeper.example",
      origin: "203.0.113.9",
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      detail: "www.keeper.example is already used by another application of this account. Remove it there first, or choose another.",
    });
  });

  it("API account creation with a held hostname: 202 with the new account, its application and the claim", async () => {
    const created = await post(newcomer.user("developer"), "/account/create", {
      name: "Newcomer Two",
      hostname: "www.keeper.example",
      origin: "203.0.113.9",
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ account_name: "Newcomer Two", claim: { status: "claimed", hostname: "www.keeper.example" } });
    const [application] = created.body.applications as { id: number }[];
    expect(await claimsOf(application.id)).toHaveLength(1);
  });

  it("new environment with a held hostname: API 202 and the console's path make a claim with the branch; same account: refused", async () => {
    const created = await post(
      newcomer.user("owner"),
      `/account/${newcomer.account.id}/application/${newcomer.app.id}/environment/create`,
      {
        name: "Staging",
        source_environment_name: "Production",
        domain_name: "staging.keeper.example",
      },
    );
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ environment_name: "Staging", domains: [], claim: { hostname: "staging.keeper.example" } });
    expect(await listBranches(newcomer.repo)).toContain("Staging");

    // The newcomer's account claims www.keeper.example already (its application made through the API above): one
    // claim per account and hostname, so a second environment is refused, as a hostname the account holds is.
    expect(
      await createEnvironment({
        application: newcomer.app,
        actor: newcomer.actor("developer"),
        name: "Second",
        source: "Production",
        hostname: host("www.keeper.example"),
        ownershipRequired: false,
      }),
    ).toEqual({
      ok: false,
      code: "taken",
      field: "hostname",
      message: "This account already claims www.keeper.example for another environment. Withdraw that claim first, or choose another.",
    });
    expect(await listBranches(newcomer.repo)).not.toContain("Second");

    const added = await addDomainOrClaim({
      environment: await environmentRow(keeper.app, "Production"),
      actor: keeper.actor("owner"),
      hostname: host("preview.keeper.example"),
      ownershipRequired: false,
    });
    if (!added.ok || added.kind !== "domain") throw new Error("expected a domain");
    const viaConsole = await createEnvironment({
      application: newcomer.app,
      actor: newcomer.actor("developer"),
      name: "Preview",
      source: "Production",
      hostname: host("preview.keeper.example"),
      ownershipRequired: false,
    });
    if (!viaConsole.ok) throw new Error(viaConsole.message);
    expect(viaConsole.domain).toBeNull();
    expect(viaConsole.claim).toMatchObject({ hostname: "preview.keeper.example", environmentId: viaConsole.environment.id });
    expect(await listEnvironmentClaims(viaConsole.environment.id)).toHaveLength(1);
    // "Add domain" in another environment of the same account: refused the same way.
    expect(
      await addDomainOrClaim({
        environment: await environmentRow(newcomer.app, "Staging"),
        actor: newcomer.actor("owner"),
        hostname: host("preview.keeper.example"),
        ownershipRequired: false,
      }),
    ).toEqual({ ok: false, code: "taken", message: expect.stringContaining("already claims preview.keeper.example") });

    const refused = await createEnvironment({
      application: keeper.app,
      actor: keeper.actor("owner"),
      name: "Again",
      source: "Production",
      hostname: host("staging.keeper.example"),
      ownershipRequired: false,
    });
    expect(refused).toMatchObject({
      ok: false,
      code: "taken",
      field: "hostname",
      message: expect.stringContaining("Remove it there first"),
    });
    expect(await listBranches(keeper.repo)).not.toContain("Again");
  });

  it("a claim made at creation settles like any other: the TXT proof moves the hostname to the new environment", async () => {
    const staging = await environmentRow(newcomer.app, "Staging");
    const [claim] = await listEnvironmentClaims(staging.id);
    dns.zone.set(claimRecord(claim).name, [{ type: "TXT", value: claim.verificationToken }]);
    expect(await checkClaim(claim.id, { resolver })).toMatchObject({ result: "moved", previousAccountId: keeper.account.id });
    expect(await firstRow(getDb().select().from(domains).where(eq(domains.hostname, "staging.keeper.example")))).toMatchObject({
      accountId: newcomer.account.id,
      environmentId: staging.id,
    });
  });
});
