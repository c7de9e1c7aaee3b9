import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first, one } from "@/db";
import { domains, operatorEvents, users } from "@/db/schema";
import { createResolver, type Resolver } from "@/lib/dns/resolver";
import { sweepDueDomains } from "@/lib/dns/scheduler";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { makeAccountWithApp, makeDomain } from "@/lib/testing/ops-fixtures";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { setTestEnv } from "@/lib/testing/env";
import { isOperator } from "./operator";
import { listOperatorEvents } from "./events";
import { listOpsDomains } from "./queries";
import { verifyDomainsAsOperator } from "./verify";

// Bulk "Verify now" of the operator view against a DNS server on 127.0.0.1 and a temporary SQLite file.
const ENV = {
  EDGE_CNAME_SUFFIX: "edge.localhost",
  EDGE_IPV4: "192.0.2.10",
  DNS_TIMEOUT_MS: "300",
  DNS_TRIES: "1",
  OPERATOR_EMAILS: "Ops@Example.com, second@example.com",
};
let restoreEnv: () => void;
let dnsServer: TestDnsServer;
let resolver: Resolver;
let temp: { cleanup: () => void };

beforeAll(async () => {
  dnsServer = await startDnsServer();
  restoreEnv = setTestEnv({ ...ENV, DNS_SERVERS: dnsServer.address });
  resolver = createResolver([dnsServer.address]);
});
afterAll(async () => {
  restoreEnv();
  await dnsServer.close();
});
beforeEach(() => {
  temp = makeTempDataDir("ec-ops-verify-");
  dnsServer.reset();
});
afterEach(() => temp.cleanup());

const pointAtEdge = (hostname: string) => dnsServer.set(hostname, [{ type: "CNAME", value: `${hostname}.edge.localhost` }]);
const NONE = { status: null, flagged: false, accountId: null, prefix: "", after: null, before: null };

describe("isOperator", () => {
  it("needs a verified email listed in OPERATOR_EMAILS (case-insensitive)", () => {
    expect(isOperator({ email: "ops@example.com", emailVerifiedAt: new Date() })).toBe(true);
    expect(isOperator({ email: "ops@example.com", emailVerifiedAt: null })).toBe(false);
    expect(isOperator({ email: "other@example.com", emailVerifiedAt: new Date() })).toBe(false);
    expect(isOperator(null)).toBe(false);
  });
});

describe("verifyDomainsAsOperator", () => {
  it("checks domains of any account, keeps the 10 s limit, and records the call in the operator log", async () => {
    const operator = await writeTransaction((tx) =>
      one(tx.insert(users).values({ email: "ops@example.com", passwordHash: "x", emailVerifiedAt: new Date() }).returning()),
    );
    const live = await makeDomain(await makeAccountWithApp("Acme"), "www.acme.test");
    const wrong = await makeDomain(await makeAccountWithApp("Globex"), "www.globex.test");
    pointAtEdge("www.acme.test");
    dnsServer.set("www.globex.test", [{ type: "A", value: "203.0.113.9" }]);
    const now = new Date("2030-01-01T00:00:00Z");
    const results = await verifyDomainsAsOperator({ operator, domainIds: [live.id, wrong.id, 999_999], now, resolver });
    expect(results).toEqual([
      expect.objectContaining({ id: live.id, result: "checked", previousStatus: "pending", status: "live", flagged: false }),
      expect.objectContaining({ id: wrong.id, result: "checked", status: "misconfigured" }),
      { id: 999_999, hostname: null, result: "not-found" },
    ]);
    const again = await verifyDomainsAsOperator({ operator, domainIds: [live.id], now: new Date(now.getTime() + 4000), resolver });
    expect(again).toEqual([{ id: live.id, hostname: "www.acme.test", result: "too-soon", status: "live", waitSeconds: 6 }]);
    const log = await listOperatorEvents();
    expect(log.map((e) => [e.action, e.operatorEmail])).toEqual([
      ["ops.verify", "ops@example.com"],
      ["ops.verify", "ops@example.com"],
    ]);
    expect(log[1].data).toEqual({
      domains: [
        { id: live.id, hostname: "www.acme.test", result: "checked", status: "live" },
        { id: wrong.id, hostname: "www.globex.test", result: "checked", status: "misconfigured" },
        { id: 999_999, hostname: null, result: "not-found" },
      ],
    });
    // The operator's user may go; the log keeps the email.
    await writeTransaction((tx) => tx.delete(users).where(eq(users.id, operator.id)));
    expect((await getDb().select().from(operatorEvents)).map((e) => [e.operatorUserId, e.operatorEmail])[0]).toEqual([
      null,
      "ops@example.com",
    ]);
  });

  it("a live domain pointed elsewhere becomes misconfigured on the next sweep and is listed as flagged", async () => {
    const d = await makeDomain(await makeAccountWithApp("Acme"), "shop.acme.test");
    await makeDomain(await makeAccountWithApp("Other"), "www.other.test", { status: "live" });
    pointAtEdge("shop.acme.test");
    pointAtEdge("www.other.test");
    const now = new Date("2030-01-01T00:00:00Z");
    await sweepDueDomains({ now, resolver });
    expect((await listOpsDomains({ ...NONE, flagged: true })).rows).toEqual([]);
    dnsServer.set("shop.acme.test", [{ type: "CNAME", value: "elsewhere.example.net" }]);
    dnsServer.set("elsewhere.example.net", [{ type: "A", value: "203.0.113.1" }]);
    await sweepDueDomains({ now: new Date(now.getTime() + 25 * 3600_000), resolver });
    const flagged = (await listOpsDomains({ ...NONE, flagged: true })).rows;
    expect(flagged.map((r) => [r.id, r.hostname, r.status, r.flagged, r.accountName])).toEqual([
      [d.id, "shop.acme.test", "misconfigured", true, "Acme"],
    ]);
    expect(await first(getDb().select().from(domains).where(eq(domains.id, d.id)))).toMatchObject({ flagged: true });
  });
});
