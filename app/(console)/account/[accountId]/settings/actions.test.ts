import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { getAccount } from "@/lib/accounts/queries";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { auditOf, makeAccount, makeUser, roleOf } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { deleteAccountAction, renameAccountAction, transferOwnershipAction } from "./actions";
import { setRequireTwoFactorAction } from "./two-factor-actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// The account settings page's actions: rename, transfer ownership, delete, require two-factor authentication. A
// non-member gets not-found, a lower role the role sentence (owners-only rights say "Ask an owner"), and the account
// stays as it was.

describe("account settings actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let owner: Awaited<ReturnType<typeof makeUser>>;
  let admin: Awaited<ReturnType<typeof makeUser>>;
  let viewer: Awaited<ReturnType<typeof makeUser>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  let accountId: number;

  /** Everything these actions could change. */
  const snapshot = async () => ({
    account: await getAccount({ id: accountId }),
    roles: await Promise.all([owner, admin, viewer].map((u) => roleOf(accountId, u.id))),
    audit: await auditOf(accountId),
  });

  beforeAll(async () => {
    temp = makeTempDataDir("ec-account-settings-actions-");
    owner = await makeUser("owner@settings.test");
    admin = await makeUser("admin@settings.test");
    viewer = await makeUser("viewer@settings.test");
    stranger = await makeUser("stranger@settings.test");
    accountId = (
      await makeAccount("Settings Co", [
        { userId: owner.id, role: "owner" },
        { userId: admin.id, role: "admin" },
        { userId: viewer.id, role: "viewer" },
      ])
    ).account.id;
    await makeAccount("Stranger Co", [{ userId: stranger.id, role: "owner" }]);
  });
  afterAll(() => temp.cleanup());

  it("answers a non-member with not-found for every action and every id, changing nothing", async () => {
    const before = await snapshot();
    await signInForActions(stranger);
    const notFound = { tone: "error", message: NOT_FOUND_MESSAGE };
    for (const id of [String(accountId), "999999", "1e0", "01"]) {
      expect(await renameAccountAction({}, formData({ accountId: id, name: "Owned" }))).toMatchObject(notFound);
      expect(await transferOwnershipAction({}, formData({ accountId: id, userId: stranger.id }))).toMatchObject(notFound);
      expect(await deleteAccountAction({}, formData({ accountId: id, confirm: "Settings Co" }))).toMatchObject(notFound);
      expect(await setRequireTwoFactorAction({}, formData({ accountId: id, required: "on" }))).toMatchObject(notFound);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("gives lower roles the role sentence, changing nothing", async () => {
    const before = await snapshot();
    await signInForActions(viewer);
    expect(await renameAccountAction({}, formData({ accountId, name: "Viewer was here" }))).toMatchObject({
      tone: "error",
      message: "Your role in this account (Viewer) cannot rename the account. Ask an owner or admin.",
    });
    await signInForActions(admin);
    const ownersOnly = (what: string) => ({ tone: "error", message: `Your role in this account (Admin) cannot ${what}. Ask an owner.` });
    expect(await transferOwnershipAction({}, formData({ accountId, userId: admin.id }))).toMatchObject(ownersOnly("transfer ownership"));
    expect(await deleteAccountAction({}, formData({ accountId, confirm: "Settings Co" }))).toMatchObject(ownersOnly("delete the account"));
    expect(await setRequireTwoFactorAction({}, formData({ accountId, required: "on" }))).toMatchObject(
      ownersOnly("change the two-factor requirement"),
    );
    expect(await snapshot()).toEqual(before);
  });

  it("shows the name's own message next to the field, keeping what was typed", async () => {
    await signInForActions(admin);
    expect(await renameAccountAction({}, formData({ accountId, name: "   " }))).toMatchObject({
      fieldErrors: { name: "Enter a name for the account, e.g. your company's." },
      values: { name: "   " },
    });
  });

  it("lets an admin rename; the owner transfers (typed checks first) and requires two-factor only with it on", async () => {
    await signInForActions(admin);
    expect(await renameAccountAction({}, formData({ accountId, name: "Settings Inc" }))).toMatchObject({
      tone: "success",
      message: "Account renamed.",
      values: { name: "Settings Inc" },
    });
    expect((await getAccount({ id: accountId }))!.name).toBe("Settings Inc");

    await signInForActions(owner);
    expect(await transferOwnershipAction({}, formData({ accountId, userId: "" }))).toMatchObject({
      fieldErrors: { userId: "Choose a member." },
    });
    expect(await transferOwnershipAction({}, formData({ accountId, userId: stranger.id }))).toMatchObject({
      fieldErrors: { userId: "Choose a member of this account." },
    });
    expect(await deleteAccountAction({}, formData({ accountId, confirm: "Settings Co" }))).toMatchObject({
      fieldErrors: { confirm: "Type the account name exactly as shown (Settings Inc) to confirm." },
      values: { confirm: "Settings Co" },
    });
    expect(await setRequireTwoFactorAction({}, formData({ accountId, required: "on" }))).toMatchObject({
      tone: "error",
      message: "Turn on two-factor authentication for your own login first: otherwise this setting would lock you out.",
    });
    expect(await transferOwnershipAction({}, formData({ accountId, userId: admin.id }))).toMatchObject({
      tone: "success",
      message: "Ownership transferred. You are an admin of this account now.",
    });
    expect([await roleOf(accountId, owner.id), await roleOf(accountId, admin.id)]).toEqual(["admin", "owner"]);
    expect((await getAccount({ id: accountId }))!.requireTwoFactor).toBe(false);
  });
});
