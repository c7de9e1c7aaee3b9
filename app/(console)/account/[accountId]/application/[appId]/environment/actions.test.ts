import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { environmentRow, makeApplication, tableState } from "@/lib/environments/fixtures";
import { listBranches } from "@/lib/git/refs";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { makeUser } from "@/lib/testing/people";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createEnvironmentAction, deleteEnvironmentAction } from "./actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// Creating and deleting environments through the server-action wrapper (lib/actions), signed in as real users, on a
// real repository; the hostname's DNS comes from a test server on loopback.

describe("environment actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let dns: TestDnsServer;
  let restoreEnv: () => void;
  let f: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  const written = async () => ({ ...(await tableState()), branches: await listBranches(f.repo) });
  const create = (fields: Record<string, string | number>) => createEnvironmentAction({}, formData(fields));

  beforeAll(async () => {
    dns = await startDnsServer();
    restoreEnv = setTestEnv({ DNS_SERVERS: dns.address, DNS_TIMEOUT_MS: "300", DNS_TRIES: "1" });
    temp = makeTempDataDir("ec-env-actions-");
    f = await makeApplication("envact");
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
    const fields = { applicationId: f.app.id, name: "Staging", source: "Production", hostname: "staging.envact.example" };
    await signInForActions(stranger);
    expect(await create(fields)).toEqual({
      error: NOT_FOUND_MESSAGE,
      values: { name: "Staging", source: "Production", hostname: "staging.envact.example" },
    });
    expect(await create({ ...fields, applicationId: "1e0" })).toMatchObject({ error: NOT_FOUND_MESSAGE });
    expect(await deleteEnvironmentAction({}, formData({ environmentId: production.id, confirmation: "Production" }))).toEqual({
      error: NOT_FOUND_MESSAGE,
      values: { confirmation: "Production" },
    });
    await signInForActions(f.user("viewer"));
    expect(await create(fields)).toMatchObject({
      error: "Your role in this account (Viewer) cannot create environments. Ask an owner or admin.",
    });
    expect(await deleteEnvironmentAction({}, formData({ environmentId: production.id, confirmation: "Production" }))).toMatchObject({
      error: "Your role in this account (Viewer) cannot delete environments. Ask an owner or admin.",
    });
    expect(await written()).toEqual(before);
  });

  it("shows every field problem at once, creates for a developer and deletes after the typed name", async () => {
    await signInForActions(f.user("developer"));
    expect(await create({ applicationId: f.app.id, name: "qa-eu", source: "Production", hostname: "" })).toEqual({
      fieldErrors: {
        name: expect.stringContaining("cannot contain “-”"),
        hostname: "Enter the hostname this environment will serve, e.g. staging.example.com.",
      },
      values: { name: "qa-eu", source: "Production", hostname: "" },
    });
    await expect(
      create({ applicationId: f.app.id, name: "Staging", source: "Production", hostname: "staging.envact.example" }),
    ).rejects.toThrow(/NEXT_REDIRECT/);
    const staging = await environmentRow(f.app, "Staging");
    expect(await deleteEnvironmentAction({}, formData({ environmentId: staging.id, confirmation: "staging" }))).toEqual({
      fieldErrors: { confirmation: "Type Staging exactly to confirm." },
      values: { confirmation: "staging" },
    });
    await expect(deleteEnvironmentAction({}, formData({ environmentId: staging.id, confirmation: "Staging" }))).rejects.toThrow(
      /NEXT_REDIRECT/,
    );
    expect((await written()).environments).toEqual(["Production"]);
  });
});
