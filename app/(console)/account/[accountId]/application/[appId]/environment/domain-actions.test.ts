import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { environmentRow, makeApplication, tableState } from "@/lib/environments/fixtures";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { makeUser } from "@/lib/testing/people";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { addDomainAction, removeDomainAction } from "./domain-actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// Adding and removing domains through the server-action wrapper (lib/actions), signed in as real users.

describe("domain actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let dns: TestDnsServer;
  let restoreEnv: () => void;
  let f: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  const written = tableState;
  const hostnames = async () => (await tableState()).domains.map((d) => d.hostname);

  beforeAll(async () => {
    dns = await startDnsServer();
    restoreEnv = setTestEnv({ DNS_SERVERS: dns.address, DNS_TIMEOUT_MS: "300", DNS_TRIES: "1" });
    temp = makeTempDataDir("ec-domain-actions-");
    f = await makeApplication("domact");
    stranger = await makeUser("stranger@example.com");
  });
  afterAll(async () => {
    temp.cleanup();
    restoreEnv();
    await dns.close();
  });

  it("answers a non-member with not-found and a viewer with the role sentence, writing nothing", async () => {
    const before = await written();
    const production = await environmentRow(f.app, "Production");
    const domain = (await tableState()).domains[0];
    await signInForActions(stranger);
    expect(await addDomainAction({}, formData({ environmentId: production.id, hostname: "shop.domact.example" }))).toEqual({
      error: NOT_FOUND_MESSAGE,
      values: { hostname: "shop.domact.example" },
    });
    expect(await removeDomainAction({}, formData({ domainId: domain.id }))).toEqual({ error: NOT_FOUND_MESSAGE });
    expect(await removeDomainAction({}, formData({ domainId: "01" }))).toEqual({ error: NOT_FOUND_MESSAGE });
    await signInForActions(f.user("viewer"));
    expect(await addDomainAction({}, formData({ environmentId: production.id, hostname: "shop.domact.example" }))).toMatchObject({
      error: "Your role in this account (Viewer) cannot add domains. Ask an owner or admin.",
    });
    expect(await removeDomainAction({}, formData({ domainId: domain.id }))).toEqual({
      error: "Your role in this account (Viewer) cannot remove domains. Ask an owner or admin.",
    });
    expect(await written()).toEqual(before);
  });

  it("adds a normalised hostname for a developer, refuses one in use next to the field, and removes it", async () => {
    const production = await environmentRow(f.app, "Production");
    await signInForActions(f.user("developer"));
    expect(await addDomainAction({}, formData({ environmentId: production.id, hostname: "https://Shop.DomAct.Example/x" }))).toMatchObject({
      ok: true,
      notice: "Added shop.domact.example.",
      values: { hostname: "" },
    });
    expect(await addDomainAction({}, formData({ environmentId: production.id, hostname: "shop.domact.example" }))).toMatchObject({
      fieldErrors: { hostname: expect.stringContaining("already used") },
    });
    expect(await hostnames()).toContain("shop.domact.example");
    const row = (await tableState()).domains.find((d) => d.hostname === "shop.domact.example")!;
    expect(await removeDomainAction({}, formData({ domainId: row.id }))).toEqual({});
    expect(await hostnames()).not.toContain("shop.domact.example");
  });
});
