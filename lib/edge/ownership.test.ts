import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, first } from "@/db";
import { domains } from "@/db/schema";
import { createEnvironment } from "@/lib/environments/create";
import { makeApplication } from "@/lib/environments/fixtures";
import { checkDomain } from "@/lib/dns/go-live";
import { challengeName } from "@/lib/dns/observe";
import { createResolver, type Resolver } from "@/lib/dns/resolver";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { settleEdgeChanges } from "./changes";
import { routableHostnames } from "./routable";
import { buildDesiredState } from "./state";

// The ownership proof (docs/edge.md "Versions"): a real go-live check against the loopback DNS server sees the TXT
// token of a domain whose ownership must be proven, records ownership_proven_at once, and the hostname becomes
// routable, so its environment is sent to the edge.

let dnsServer: TestDnsServer;
let resolver: Resolver;
let restoreEnv: () => void;
let temp: ReturnType<typeof makeTempDataDir>;

beforeAll(async () => {
  dnsServer = await startDnsServer();
  restoreEnv = setTestEnv({ EDGE_CNAME_SUFFIX: "edge.localhost", DNS_SERVERS: dnsServer.address, DNS_TIMEOUT_MS: "300", DNS_TRIES: "1" });
  temp = makeTempDataDir("ec-edge-proof-");
  resolver = createResolver([dnsServer.address]);
});

afterAll(async () => {
  await settleEdgeChanges();
  temp.cleanup();
  restoreEnv();
  await dnsServer.close();
});

describe("ownership proof", () => {
  it("is recorded once, by the check that sees the TXT token, and makes the hostname routable", async () => {
    const fixture = await makeApplication("proof");
    const created = await createEnvironment({
      application: fixture.app,
      actor: fixture.actor("owner"),
      name: "Claimed",
      source: "Production",
      hostname: { hostname: "claimed.proof.example", unicode: "claimed.proof.example", isApex: false },
      ownershipRequired: true,
    });
    if (!created.ok || !created.domain) throw new Error(created.ok ? "a claim instead of a domain" : created.message);
    await settleEdgeChanges();
    const domain = created.domain;
    const row = async () => (await first(getDb().select().from(domains).where(eq(domains.id, domain.id))))!;
    expect((await routableHostnames([created.environment.id])).get(created.environment.id)).toEqual([]);

    // The CNAME is in place but no TXT yet: no proof.
    dnsServer.set(domain.hostname, [{ type: "CNAME", value: `${domain.hostname}.edge.localhost` }]);
    await checkDomain(domain.id, { resolver, now: new Date("2026-12-04T10:00:00Z") });
    expect((await row()).ownershipProvenAt).toBeNull();

    // The TXT proof: recorded at the check's time.
    dnsServer.set(challengeName(domain.hostname), [{ type: "TXT", value: domain.verificationToken }]);
    await checkDomain(domain.id, { resolver, now: new Date("2026-12-04T10:05:00Z") });
    expect((await row()).ownershipProvenAt?.toISOString()).toBe("2026-12-04T10:05:00.000Z");
    await settleEdgeChanges();
    expect((await routableHostnames([created.environment.id])).get(created.environment.id)).toEqual(["claimed.proof.example"]);
    const state = await buildDesiredState({ name: "edge-1", drain: false }, 0);
    expect(state.environments.map((e) => e.name).sort()).toEqual(["Claimed", "Production"]);

    // A later check never moves it.
    await checkDomain(domain.id, { resolver, now: new Date("2026-12-04T11:00:00Z") });
    expect((await row()).ownershipProvenAt?.toISOString()).toBe("2026-12-04T10:05:00.000Z");
  });
});
