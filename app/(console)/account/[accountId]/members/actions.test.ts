import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { listPendingInvitations } from "@/lib/members/queries";
import { createInvitation } from "@/lib/invitations/manage";
import { formData, signInForActions, signOutForActions } from "@/lib/testing/action-request";
import { actorOf, auditOf, makeAccount, makeUser, roleOf } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { changeRoleAction, leaveAccountAction, removeMemberAction } from "./actions";
import { inviteMemberAction, resendInvitationAction, revokeInvitationAction } from "./invite-actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// The members page's actions (members and invitations) as a browser calls them: a real session, a FormData. A
// non-member (also with forged or odd ids) gets the not-found message, a lower role the role sentence, and neither
// writes anything (roles, invitations and the audit log stay as they were).

describe("members and invitations actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let owner: Awaited<ReturnType<typeof makeUser>>;
  let admin: Awaited<ReturnType<typeof makeUser>>;
  let viewer: Awaited<ReturnType<typeof makeUser>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  let accountId: number;
  let membershipOf: (userId: number) => number;
  let invitationId: number;

  /** Everything these actions could change: roles, pending invitations, audit rows. */
  const snapshot = async () => ({
    roles: await Promise.all([owner, admin, viewer, stranger].map((u) => roleOf(accountId, u.id))),
    pending: (await listPendingInvitations({ accountId })).map((i) => [i.id, i.email, i.role]),
    audit: await auditOf(accountId),
  });

  beforeAll(async () => {
    temp = makeTempDataDir("ec-members-actions-");
    owner = await makeUser("owner@members.test");
    admin = await makeUser("admin@members.test");
    viewer = await makeUser("viewer@members.test");
    stranger = await makeUser("stranger@members.test");
    const made = await makeAccount("Members Co", [
      { userId: owner.id, role: "owner" },
      { userId: admin.id, role: "admin" },
      { userId: viewer.id, role: "viewer" },
    ]);
    accountId = made.account.id;
    membershipOf = made.membershipOf;
    // The stranger's own account, where they are owner: their role there must not count here.
    await makeAccount("Stranger Co", [{ userId: stranger.id, role: "owner" }]);
    const invited = await createInvitation({ accountId, actor: actorOf(owner), email: "guest@members.test", role: "developer" });
    if (!invited.ok) throw new Error(invited.message);
    invitationId = invited.invitation.id;
  });
  afterAll(() => temp.cleanup());

  it("answers a non-member with not-found for every action and every id, writing nothing", async () => {
    const before = await snapshot();
    await signInForActions(stranger);
    const notFound = { tone: "error", message: NOT_FOUND_MESSAGE };
    for (const id of [String(membershipOf(admin.id)), "999999", "1e0", "01", "-1"]) {
      expect(await changeRoleAction({}, formData({ membershipId: id, role: "owner" }))).toMatchObject(notFound);
      expect(await removeMemberAction({}, formData({ membershipId: id }))).toMatchObject(notFound);
    }
    for (const id of [String(accountId), "999999", "1e0"]) {
      expect(await leaveAccountAction({}, formData({ accountId: id }))).toMatchObject(notFound);
      expect(await inviteMemberAction({}, formData({ accountId: id, email: "spam@members.test", role: "viewer" }))).toMatchObject({
        ...notFound,
        values: { email: "spam@members.test", role: "viewer" },
      });
    }
    for (const id of [String(invitationId), "999999", "1e0"]) {
      expect(await resendInvitationAction({}, formData({ invitationId: id }))).toMatchObject(notFound);
      expect(await revokeInvitationAction({}, formData({ invitationId: id }))).toMatchObject(notFound);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("gives a viewer the role sentence for every change, writing nothing", async () => {
    const before = await snapshot();
    await signInForActions(viewer);
    const role = (what: string) => ({
      tone: "error",
      message: `Your role in this account (Viewer) cannot ${what}. Ask an owner or admin.`,
    });
    expect(await changeRoleAction({}, formData({ membershipId: membershipOf(admin.id), role: "viewer" }))).toMatchObject(
      role("change roles of members"),
    );
    expect(await removeMemberAction({}, formData({ membershipId: membershipOf(admin.id) }))).toMatchObject(role("remove members"));
    expect(await inviteMemberAction({}, formData({ accountId, email: "friend@members.test", role: "viewer" }))).toMatchObject(
      role("invite members"),
    );
    expect(await resendInvitationAction({}, formData({ invitationId }))).toMatchObject(role("re-send invitations"));
    expect(await revokeInvitationAction({}, formData({ invitationId }))).toMatchObject(role("revoke invitations"));
    expect(await snapshot()).toEqual(before);
  });

  it("keeps the rules lib/members checks: an admin never acts on an owner", async () => {
    const before = await snapshot();
    await signInForActions(admin);
    expect(await changeRoleAction({}, formData({ membershipId: membershipOf(owner.id), role: "viewer" }))).toMatchObject({
      tone: "error",
      message: "Only an owner can change the role of an owner.",
      fieldErrors: { role: "Only an owner can change the role of an owner." },
    });
    expect(await removeMemberAction({}, formData({ membershipId: membershipOf(owner.id) }))).toMatchObject({
      message: "Only an owner can remove an owner.",
    });
    expect(await inviteMemberAction({}, formData({ accountId, email: "boss@members.test", role: "owner" }))).toMatchObject({
      fieldErrors: { role: "Your role (Admin) cannot invite someone as Owner." },
    });
    expect(await snapshot()).toEqual(before);
  });

  it("shows field messages for a form that does not parse, before loading anything", async () => {
    await signInForActions(owner);
    expect(await changeRoleAction({}, formData({ membershipId: membershipOf(viewer.id), role: "emperor" }))).toMatchObject({
      tone: "error",
      fieldErrors: { role: "Choose a role from the list." },
    });
    expect(await inviteMemberAction({}, formData({ accountId, email: "not an address", role: "viewer" }))).toMatchObject({
      fieldErrors: { email: "Enter a valid email address, like name@example.com." },
      values: { email: "not an address", role: "viewer" },
    });
  });

  it("lets the owner change a role, invite, re-send and revoke", async () => {
    await signInForActions(owner);
    expect(await changeRoleAction({}, formData({ membershipId: membershipOf(viewer.id), role: "developer" }))).toMatchObject({
      tone: "success",
      message: "Role changed to Developer.",
    });
    expect(await roleOf(accountId, viewer.id)).toBe("developer");
    expect(await changeRoleAction({}, formData({ membershipId: membershipOf(viewer.id), role: "developer" }))).toMatchObject({
      tone: "info",
      message: "The role is unchanged.",
    });
    expect(await inviteMemberAction({}, formData({ accountId, email: "New@Members.test", role: "viewer" }))).toMatchObject({
      tone: "success",
      message: "Invitation sent to new@members.test (as Viewer).",
      values: { role: "viewer" },
    });
    const resent = await resendInvitationAction({}, formData({ invitationId }));
    expect(resent).toMatchObject({ tone: "success", message: expect.stringMatching(/^A new invitation was sent to guest@members\.test/) });
    const pending = await listPendingInvitations({ accountId });
    const guest = pending.find((i) => i.email === "guest@members.test")!;
    expect(await revokeInvitationAction({}, formData({ invitationId: guest.id }))).toMatchObject({ message: "Invitation revoked." });
    expect((await listPendingInvitations({ accountId })).map((i) => i.email)).toEqual(["new@members.test"]);
  });

  it("refuses the last owner leaving; a member leaves and is sent on", async () => {
    await signInForActions(owner);
    expect(await leaveAccountAction({}, formData({ accountId }))).toMatchObject({
      tone: "error",
      message:
        "You are the only owner, so you cannot leave. An account always keeps at least one owner: make another member an owner first.",
    });
    await signInForActions(admin);
    await expect(leaveAccountAction({}, formData({ accountId }))).rejects.toThrow(/NEXT_REDIRECT/);
    expect(await roleOf(accountId, admin.id)).toBeNull();
  });

  it("sends a signed-out caller to /login", async () => {
    signOutForActions();
    await expect(removeMemberAction({}, formData({ membershipId: membershipOf(viewer.id) }))).rejects.toThrow(/NEXT_REDIRECT/);
    expect(await roleOf(accountId, viewer.id)).toBe("developer");
  });
});
