import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb, writeTransaction, first, one } from "@/db";
import { dnsChecks, domains, memberships, users } from "@/db/schema";
import { verifyDomainAction } from "@/app/(console)/account/[accountId]/application/[appId]/actions";
import { verifyDomainsAction } from "@/app/(console)/ops/actions";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { verifyDomainsAsOperator } from "@/lib/ops/verify";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeAccountWithApp, makeDomain } from "@/lib/testing/ops-fixtures";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { checkDomain, type CheckRecords } from "./go-live";
import { createResolver, type Resolver } from "./resolver";
import { sweepDueDomains } from "./scheduler";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// "Verify now" (docs/product.md §3.5) from the page, the API's engine and /ops, against a DNS server on 127.0.0.1:
// one "Verify now" per domain per 10 s, where the console's own background checks do not count, and a refused click
// says when the last check ran and when the next may.
const ENV = {
  EDGE_CNAME_SUFFIX: "edge.localhost",
  EDGE_IPV4: "192.0.2.10",
  DNS_TIMEOUT_MS: "300",
  DNS_TRIES: "1",
  OPERATOR_EMAILS: "ops@example.com",
};
let restoreEnv: () => void;
let dnsServer: TestDnsServer;
let resolver: Resolver;
let temp: { cleanup: () => void };
let counter = 0;

beforeAll(async () => {
  dnsServer = await startDnsServer();
  restoreEnv = setTestEnv({ ...ENV, DNS_SERVERS: dnsServer.address });
  resolver = createResolver([dnsServer.address]);
  temp = makeTempDataDir("ec-verify-now-");
});
afterAll(async () => {
  temp.cleanup();
  restoreEnv();
  await dnsServer.close();
});
beforeEach(() => dnsServer.reset());

/** A fresh account with one application and a live-pointed domain, and its members by role. */
async function setUp() {
  const n = ++counter;
  const env = await makeAccountWithApp(`Acme ${n}`);
  const hostname = `www.v${n}.test`;
  const domain = await makeDomain(env, hostname);
  dnsServer.set(hostname, [{ type: "CNAME", value: `${hostname}.edge.localhost` }]);
  const member = async (role: "developer" | "viewer") => {
    const user = await makeUser(`${role}${n}@acme.test`);
    await writeTransaction((tx) => tx.insert(memberships).values({ userId: user.id, accountId: env.accountId, role }));
    return user;
  };
  return { env, domain, hostname, developer: await member("developer"), viewer: await member("viewer") };
}
const checksOf = (id: number) => getDb().select().from(dnsChecks).where(eq(dnsChecks.domainId, id)).orderBy(asc(dnsChecks.id));
/** Moves every time of a domain's checks `ms` into the past, as waiting would. */
async function age(id: number, ms: number) {
  const row = (await first(getDb().select().from(domains).where(eq(domains.id, id))))!;
  await writeTransaction(async (tx) => {
    await tx
      .update(domains)
      .set({ lastCheckedAt: new Date(row.lastCheckedAt!.getTime() - ms) })
      .where(eq(domains.id, id));
    for (const c of await tx.select().from(dnsChecks).where(eq(dnsChecks.domainId, id))) {
      await tx
        .update(dnsChecks)
        .set({ checkedAt: new Date(c.checkedAt.getTime() - ms) })
        .where(eq(dnsChecks.id, c.id));
    }
  });
}

describe("checkDomain with verifyNow", () => {
  it("runs right after a background check, and refuses a second Verify now within 10 s with when and until when", async () => {
    const { domain } = await setUp();
    const now = new Date();
    expect(await sweepDueDomains({ now, resolver })).toMatchObject({ checked: 1 });
    expect((await checksOf(domain.id)).map((c) => (c.records as CheckRecords).verifyNow ?? false)).toEqual([false]);

    const clicked = new Date(now.getTime() + 4000);
    const first = await checkDomain(domain.id, { resolver, now: clicked, verifyNow: true });
    expect(first).toMatchObject({ status: "live", previousStatus: "live" });
    expect((await checksOf(domain.id)).map((c) => (c.records as CheckRecords).verifyNow ?? false)).toEqual([false, true]);

    const again = new Date(clicked.getTime() + 3000);
    expect(await checkDomain(domain.id, { resolver, now: again, verifyNow: true })).toEqual({
      skipped: "too-soon",
      lastCheckedAt: clicked,
      status: "live",
      retryAt: new Date(clicked.getTime() + 10_000),
    });
    expect(await checksOf(domain.id)).toHaveLength(2);
    // 10 s after the last Verify now it runs again; a plain check (no verifyNow) is never limited.
    expect(
      (await checkDomain(domain.id, { resolver, now: new Date(clicked.getTime() + 10_000), verifyNow: true })).skipped,
    ).toBeUndefined();
    expect((await checkDomain(domain.id, { resolver, now: new Date(clicked.getTime() + 10_001) })).skipped).toBeUndefined();
  });

  it("lets /ops bulk verify check a domain the scheduler has just checked, then limits it like the page", async () => {
    const { domain, hostname } = await setUp();
    const operator = await writeTransaction((tx) =>
      one(tx.insert(users).values({ email: "ops@example.com", passwordHash: "x", emailVerifiedAt: new Date() }).returning()),
    );
    const now = new Date();
    await sweepDueDomains({ now, resolver });
    const clicked = new Date(now.getTime() + 2000);
    expect(await verifyDomainsAsOperator({ operator, domainIds: [domain.id], now: clicked, resolver })).toEqual([
      expect.objectContaining({ id: domain.id, result: "checked", status: "live" }),
    ]);
    expect(await verifyDomainsAsOperator({ operator, domainIds: [domain.id], now: new Date(clicked.getTime() + 4000), resolver })).toEqual([
      { id: domain.id, hostname, result: "too-soon", status: "live", waitSeconds: 6 },
    ]);
  });
});

describe("the Verify now action", () => {
  it("runs for a developer right after a background check, then says when it ran and when to try again", async () => {
    const { domain, developer } = await setUp();
    await sweepDueDomains({ resolver }); // the console's own background check, moments ago
    await signInForActions(developer);
    const first = await verifyDomainAction({}, formData({ domainId: domain.id }));
    expect(first).toMatchObject({ tone: "success", message: "Checked: Live." });
    expect(await checksOf(domain.id)).toHaveLength(2);
    const second = await verifyDomainAction({}, formData({ domainId: domain.id }));
    expect(second.tone).toBe("info");
    expect(second.message).toMatch(/^Checked (just now|[1-9] s ago) \(Live\)\. You can verify again in (10|[1-9]) s\.$/);
    expect(await checksOf(domain.id)).toHaveLength(2);
    await age(domain.id, 10_000);
    expect(await verifyDomainAction({}, formData({ domainId: domain.id }))).toMatchObject({ message: "Checked: Live." });
    expect(await checksOf(domain.id)).toHaveLength(3);
  });

  it("answers a non-member (and a missing or malformed id) with not-found, and stores no check", async () => {
    const { domain } = await setUp();
    const stranger = await makeUser(`stranger${counter}@example.com`);
    await signInForActions(stranger);
    for (const id of [String(domain.id), "999999", "1e0", "01", ""]) {
      expect(await verifyDomainAction({}, formData({ domainId: id }))).toMatchObject({ tone: "error", message: NOT_FOUND_MESSAGE });
    }
    expect(await checksOf(domain.id)).toEqual([]);
  });

  it("gives a viewer the role sentence and stores no check", async () => {
    const { domain, viewer } = await setUp();
    await signInForActions(viewer);
    expect(await verifyDomainAction({}, formData({ domainId: domain.id }))).toMatchObject({
      tone: "error",
      message: "Your role in this account (Viewer) cannot verify domains. Ask an owner or admin.",
    });
    expect(await checksOf(domain.id)).toEqual([]);
  });
});

describe("the /ops bulk verify action", () => {
  it("answers a signed-in non-operator with not-found and checks nothing; an operator's call checks", async () => {
    const { domain, developer } = await setUp();
    await signInForActions(developer); // a member of the domain's account, but not an operator
    const form = formData({ domainIds: String(domain.id) });
    expect(await verifyDomainsAction({ ok: true, results: [] }, form)).toEqual({ ok: false, error: NOT_FOUND_MESSAGE });
    expect(await verifyDomainsAction({ ok: true, results: [] }, formData({ domainIds: "x,y" }))).toEqual({
      ok: false,
      error: NOT_FOUND_MESSAGE,
    });
    expect(await checksOf(domain.id)).toEqual([]);

    const operator =
      (await first(getDb().select().from(users).where(eq(users.email, "ops@example.com")))) ??
      (await writeTransaction((tx) =>
        one(tx.insert(users).values({ email: "ops@example.com", passwordHash: "x", emailVerifiedAt: new Date() }).returning()),
      ));
    await signInForActions(operator);
    expect(await verifyDomainsAction({ ok: true, results: [] }, formData({ domainIds: "1,2,3,4,5,6" }))).toEqual({
      ok: false,
      error: "Send between 1 and 5 domain ids per call.",
    });
    expect(await verifyDomainsAction({ ok: true, results: [] }, form)).toEqual({
      ok: true,
      results: [expect.objectContaining({ id: domain.id, result: "checked", status: "live" })],
    });
    expect(await checksOf(domain.id)).toHaveLength(1);
  });
});
