import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { writeTransaction, one } from "@/db";
import { accounts, memberships, users } from "@/db/schema";
import { createApplication, type Environment } from "@/lib/applications/create";
import { challengeName, checkDomain, resolvesToEdge } from "@/lib/dns/go-live";
import { createResolver, type Resolver } from "@/lib/dns/resolver";
import type { Actor } from "@/lib/repositories/changes";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { setTestEnv } from "@/lib/testing/env";
import { addDomain, removeDomain } from "./manage";

// Ownership takeover (docs/product.md §3.5): a hostname freed by one account while its DNS still points at the edge must not go
// live for the next account that adds it until `TXT _edge-challenge.<hostname>` holds that account's token.
// Real parts: a temporary SQLite file, real repositories, node's resolver to a DNS server on 127.0.0.1.
const ENV = { EDGE_CNAME_SUFFIX: "edge.localhost", EDGE_IPV4: "192.0.2.10", DNS_TIMEOUT_MS: "300", DNS_TRIES: "1" };
let restoreEnv: () => void;
let dnsServer: TestDnsServer;
let resolver: Resolver;
let temp: { cleanup: () => void };
const people: { actor: Actor; env: Environment }[] = [];

beforeAll(async () => {
  dnsServer = await startDnsServer();
  restoreEnv = setTestEnv({ ...ENV, DNS_SERVERS: dnsServer.address });
  resolver = createResolver([dnsServer.address]);
});
afterAll(async () => {
  restoreEnv();
  await dnsServer.close();
});
beforeEach(async () => {
  temp = makeTempDataDir("ec-takeover-");
  dnsServer.reset();
  people.length = 0;
  for (const name of ["a", "b"]) {
    const { user, account } = await writeTransaction(async (db) => {
      const user = await one(
        db
          .insert(users)
          .values({ email: `${name}@example.com`, name, passwordHash: "x" })
          .returning(),
      );
      const account = await one(
        db
          .insert(accounts)
          .values({ name: `Account ${name}` })
          .returning(),
      );
      await db.insert(memberships).values({ userId: user.id, accountId: account.id, role: "owner" });
      return { user, account };
    });
    const actor = { id: user.id, name, email: `${name}@example.com` };
    const created = await createApplication({
      actor,
      account: { id: account.id },
      hostname: { hostname: `www.${name}.example.com`, unicode: `www.${name}.example.com`, isApex: false },
      origin: { address: "203.0.113.7", protocol: "https", port: 443 },
      stackId: "varnish",
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    people.push({ actor, env: created.environment });
  }
});
afterEach(() => temp.cleanup());

describe("ownership takeover", () => {
  it("keeps a hostname freed by account A but still pointing at the edge from going live for account B until B's TXT token is there", async () => {
    const [a, b] = people;
    const hostname = "shop.example.com";
    const host = { hostname, unicode: hostname, isApex: false };
    // A adds the hostname, points it at the edge, and it goes live.
    expect(await resolvesToEdge(hostname, resolver)).toBe(false);
    const first = await addDomain({
      environment: a.env,
      actor: a.actor,
      hostname: host,
      ownershipRequired: await resolvesToEdge(hostname, resolver),
    });
    if (!first.ok) throw new Error(first.message);
    dnsServer.set(hostname, [{ type: "CNAME", value: `${hostname}.edge.localhost` }]);
    expect(await checkDomain(first.domain.id, { resolver })).toMatchObject({ status: "live" });
    // A removes it; the DNS still points at the edge.
    expect((await removeDomain({ domainId: first.domain.id, actor: a.actor })).ok).toBe(true);

    // B adds it the way the console's actions do: the hostname already resolves to the edge, so B must prove ownership.
    const second = await addDomain({
      environment: b.env,
      actor: b.actor,
      hostname: host,
      ownershipRequired: await resolvesToEdge(hostname, resolver),
    });
    if (!second.ok) throw new Error(second.message);
    expect(second.domain).toMatchObject({ ownershipRequired: true, status: "pending" });
    const tokenB = second.domain.verificationToken;
    expect(tokenB).not.toBe(first.domain.verificationToken);

    const notYet = await checkDomain(second.domain.id, { resolver });
    expect(notYet).toMatchObject({ status: "misconfigured", classification: { reason: "ownership" } });
    if (notYet.skipped) return;
    expect(notYet.classification.explanation).toBe(
      `${hostname} already pointed at the edge when it was added: create a TXT record ${challengeName(hostname)} with the value ${tokenB} to prove you control it.`,
    );

    // A's old token (or anything else) in the TXT record is not enough.
    dnsServer.set(challengeName(hostname), [{ type: "TXT", value: first.domain.verificationToken }]);
    const wrongToken = await checkDomain(second.domain.id, { resolver, now: new Date(Date.now() + 60_000) });
    expect(wrongToken).toMatchObject({ status: "misconfigured", classification: { reason: "ownership" } });

    // B's token: live.
    dnsServer.set(challengeName(hostname), [{ type: "TXT", value: tokenB }]);
    const proven = await checkDomain(second.domain.id, { resolver, now: new Date(Date.now() + 120_000) });
    expect(proven).toMatchObject({ status: "live", classification: { reason: "cname-target" } });
  });
});
