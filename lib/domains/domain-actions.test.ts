import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getDb, writeTransaction } from "@/db";
import { domains, memberships } from "@/db/schema";
import { addDomainAction, removeDomainAction } from "@/app/(console)/account/[accountId]/application/[appId]/environment/domain-actions";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeAccountWithApp, makeDomain } from "@/lib/testing/ops-fixtures";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// "Add domain" and "Remove" on an environment's page (docs/product.md §3.5) through the server-action wrapper: the
// account comes from the environment or domain row; a non-member is told "not found", a viewer the role sentence,
// and neither changes anything.
let restoreEnv: () => void;
let dnsServer: TestDnsServer;
let temp: { cleanup: () => void };
let env: Awaited<ReturnType<typeof makeAccountWithApp>>;
let users: Record<"developer" | "viewer" | "stranger", Awaited<ReturnType<typeof makeUser>>>;

beforeAll(async () => {
  dnsServer = await startDnsServer();
  restoreEnv = setTestEnv({ EDGE_CNAME_SUFFIX: "edge.localhost", DNS_TIMEOUT_MS: "300", DNS_TRIES: "1", DNS_SERVERS: dnsServer.address });
  temp = makeTempDataDir("ec-domain-actions-");
  env = await makeAccountWithApp("Acme");
  users = {
    developer: await makeUser("developer@acme.test"),
    viewer: await makeUser("viewer@acme.test"),
    stranger: await makeUser("stranger@example.com"),
  };
  await writeTransaction(async (tx) => {
    await tx.insert(memberships).values({ userId: users.developer.id, accountId: env.accountId, role: "developer" });
    await tx.insert(memberships).values({ userId: users.viewer.id, accountId: env.accountId, role: "viewer" });
  });
});
afterAll(async () => {
  temp.cleanup();
  restoreEnv();
  await dnsServer.close();
});

const hostnames = async () =>
  (await getDb().select({ hostname: domains.hostname }).from(domains).where(eq(domains.environmentId, env.environmentId))).map(
    (d) => d.hostname,
  );

describe("addDomainAction", () => {
  it("adds for a developer", async () => {
    await signInForActions(users.developer);
    expect(await addDomainAction({}, formData({ environmentId: env.environmentId, hostname: "Shop.Acme.test" }))).toMatchObject({
      ok: true,
      notice: "Added shop.acme.test.",
      values: { hostname: "" },
    });
    expect(await hostnames()).toContain("shop.acme.test");
  });

  it("answers a non-member (and a missing id) with not-found, keeping what was typed, and adds nothing", async () => {
    await signInForActions(users.stranger);
    for (const id of [String(env.environmentId), "999999", "1e0"]) {
      expect(await addDomainAction({}, formData({ environmentId: id, hostname: "evil.acme.test" }))).toEqual({
        error: NOT_FOUND_MESSAGE,
        values: { hostname: "evil.acme.test" },
      });
    }
    expect(await hostnames()).not.toContain("evil.acme.test");
  });

  it("gives a viewer the role sentence and adds nothing", async () => {
    await signInForActions(users.viewer);
    expect(await addDomainAction({}, formData({ environmentId: env.environmentId, hostname: "view.acme.test" }))).toEqual({
      error: "Your role in this account (Viewer) cannot add domains. Ask an owner or admin.",
      values: { hostname: "view.acme.test" },
    });
    expect(await hostnames()).not.toContain("view.acme.test");
  });
});

describe("removeDomainAction", () => {
  it("refuses a non-member (not-found) and a viewer (role sentence), then removes for a developer", async () => {
    const domain = await makeDomain(env, "old.acme.test");
    await signInForActions(users.stranger);
    expect(await removeDomainAction({}, formData({ domainId: domain.id }))).toEqual({ error: NOT_FOUND_MESSAGE });
    await signInForActions(users.viewer);
    expect(await removeDomainAction({}, formData({ domainId: domain.id }))).toEqual({
      error: "Your role in this account (Viewer) cannot remove domains. Ask an owner or admin.",
    });
    expect(await hostnames()).toContain("old.acme.test");
    await signInForActions(users.developer);
    expect(await removeDomainAction({}, formData({ domainId: domain.id }))).toEqual({});
    expect(await hostnames()).not.toContain("old.acme.test");
  });
});
