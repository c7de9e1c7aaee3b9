import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { makeApplication, tableState } from "@/lib/environments/fixtures";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { deleteApplicationAction, renameApplicationAction } from "./actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// Application settings through the server-action wrapper (lib/actions), signed in as real users.

describe("application settings actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let f: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  const app = async () => (await tableState()).applications.find((a) => a.id === f.app.id);
  const audits = async () => (await tableState()).audits;

  beforeAll(async () => {
    temp = makeTempDataDir("ec-app-settings-actions-");
    f = await makeApplication("settings");
    stranger = await makeUser("stranger@example.com");
  });
  afterAll(() => temp.cleanup());

  it("answers a non-member, a missing and a malformed id with not-found, writing nothing", async () => {
    const before = await audits();
    await signInForActions(stranger);
    for (const id of [String(f.app.id), "999999", "1e0"]) {
      expect(await renameApplicationAction({}, formData({ applicationId: id, name: "Hijacked" }))).toEqual({
        error: NOT_FOUND_MESSAGE,
        values: { name: "Hijacked" },
      });
      expect(await deleteApplicationAction({}, formData({ applicationId: id, confirmation: f.app.name }))).toEqual({
        error: NOT_FOUND_MESSAGE,
        values: { confirmation: f.app.name },
      });
    }
    expect(await app()).toMatchObject({ name: f.app.name });
    expect(await audits()).toBe(before);
  });

  it("gives a viewer and a developer the role sentence, writing nothing", async () => {
    const before = await audits();
    for (const role of ["viewer", "developer"] as const) {
      await signInForActions(f.user(role));
      const label = role === "viewer" ? "Viewer" : "Developer";
      expect(await renameApplicationAction({}, formData({ applicationId: f.app.id, name: "Renamed" }))).toMatchObject({
        error: `Your role in this account (${label}) cannot rename the application. Ask an owner or admin.`,
      });
      expect(await deleteApplicationAction({}, formData({ applicationId: f.app.id, confirmation: f.app.name }))).toMatchObject({
        error: `Your role in this account (${label}) cannot delete the application. Ask an owner or admin.`,
      });
    }
    expect(await app()).toMatchObject({ name: f.app.name });
    expect(await audits()).toBe(before);
  });

  it("renames for an admin; refuses an empty name and a wrong confirmation next to the field; deletes for the owner", async () => {
    await signInForActions(f.user("admin"));
    expect(await renameApplicationAction({}, formData({ applicationId: f.app.id, name: "  " }))).toEqual({
      fieldErrors: { name: "Enter a name for the application." },
      values: { name: "  " },
    });
    expect(await renameApplicationAction({}, formData({ applicationId: f.app.id, name: " Shop " }))).toMatchObject({
      ok: true,
      values: { name: "Shop" },
    });
    expect(await app()).toMatchObject({ name: "Shop" });
    await signInForActions(f.user("owner"));
    expect(await deleteApplicationAction({}, formData({ applicationId: f.app.id, confirmation: "shop" }))).toMatchObject({
      fieldErrors: { confirmation: expect.stringContaining("Type the application name exactly") },
    });
    await expect(deleteApplicationAction({}, formData({ applicationId: f.app.id, confirmation: "Shop" }))).rejects.toThrow(/NEXT_REDIRECT/);
    expect(await app()).toBeUndefined();
  });
});
