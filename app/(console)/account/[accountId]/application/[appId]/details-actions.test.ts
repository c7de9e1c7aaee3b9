import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { checkDomain } from "@/lib/dns/go-live";
import { makeApplication, tableState } from "@/lib/environments/fixtures";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { loadDomainDetailsAction } from "./details-actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// The details a long domain list loads when a domain is opened, through the server-action wrapper (lib/actions),
// signed in as real users: any member reads them, anyone else is told "not found".

describe("loadDomainDetailsAction", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let f: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  let domainId: number;

  let dns: TestDnsServer;
  let restoreEnv: () => void;

  beforeAll(async () => {
    dns = await startDnsServer();
    restoreEnv = setTestEnv({ DNS_SERVERS: dns.address, DNS_TIMEOUT_MS: "300", DNS_TRIES: "1" });
    temp = makeTempDataDir("ec-details-action-");
    f = await makeApplication("details");
    stranger = await makeUser("stranger@example.com");
    domainId = (await tableState()).domains[0].id;
    await checkDomain(domainId, { now: new Date(), verifyNow: true }); // nothing in the test DNS: NXDOMAIN
  });
  afterAll(async () => {
    temp.cleanup();
    restoreEnv();
    await dns.close();
  });

  it("answers a non-member and a malformed id with not-found", async () => {
    await signInForActions(stranger);
    expect(await loadDomainDetailsAction({}, formData({ domainId }))).toEqual({ error: NOT_FOUND_MESSAGE });
    await signInForActions(f.user("owner"));
    expect(await loadDomainDetailsAction({}, formData({ domainId: "01" }))).toEqual({ error: NOT_FOUND_MESSAGE });
    expect(await loadDomainDetailsAction({}, formData({ domainId: domainId + 1000 }))).toEqual({ error: NOT_FOUND_MESSAGE });
  });

  it("gives a viewer the records to create and what the last check found", async () => {
    await signInForActions(f.user("viewer"));
    const state = await loadDomainDetailsAction({}, formData({ domainId }));
    expect(state.error).toBeUndefined();
    expect(state.details).toMatchObject({
      live: false,
      records: [{ type: "CNAME", name: "www.details.example", value: expect.stringMatching(/^www\.details\.example\./) }],
      kept: null,
      lastCheck: {
        sentence: expect.stringContaining("www.details.example does not exist in DNS"),
        from: null,
        rows: [
          { term: "Found", value: "www.details.example does not exist (NXDOMAIN)" },
          { term: "Expected", value: expect.stringMatching(/^CNAME www\.details\.example\./) },
        ],
      },
    });
  });
});
