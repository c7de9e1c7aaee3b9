import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createUser, getUserById } from "@/lib/users/queries";
import { listApiTokens } from "@/lib/api-tokens";
import { hashPassword } from "@/lib/auth/password";
import { listActiveSessions, startUserSession } from "@/lib/auth/sessions";
import { formData, signInForActions, signOutForActions } from "@/lib/testing/action-request";
import { makeAccount } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { pendingEmailChange } from "@/lib/user-settings/email-change";
import { deleteUserAction } from "./delete-user-actions";
import { changePasswordAction } from "./password-actions";
import { requestEmailChangeAction, updateNameAction } from "./profile-actions";
import { revokeSessionAction, signOutEverywhereAction } from "./sessions/actions";
import { createTokenAction, revokeTokenAction } from "./tokens/actions";
import { cancelEnrolmentAction, confirmEnrolmentAction, disableTwoFactorAction, startEnrolmentAction } from "./two-factor/actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);
// Auth.js itself (next-auth needs Next's runtime): only the cookie re-issue and sign-out are stood in for; the
// session rows they act on are real.
const auth = vi.hoisted(() => ({
  reissueSession: vi.fn<(sessionKey: string) => Promise<void>>(async () => undefined),
  signOut: vi.fn(async () => undefined),
}));
vi.mock("@/lib/auth/auth", () => auth);

// The user's own settings (name, email, password, sessions, tokens, two-factor, deleting the user): user-level
// actions act on the signed-in user only. Another user's session or token id is "not found" and changes nothing; a
// form that does not parse gets its field messages; a signed-out caller is sent to /login.

const PASSWORD = "correct horse battery";

async function makeLogin(email: string) {
  const created = await createUser({ email, name: null, passwordHash: await hashPassword(PASSWORD) });
  if (!created.ok) throw new Error(created.reason);
  return created.user;
}

describe("user settings actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let ann: Awaited<ReturnType<typeof makeLogin>>;
  let bob: Awaited<ReturnType<typeof makeLogin>>;
  beforeAll(async () => {
    temp = makeTempDataDir("ec-user-settings-actions-");
    ann = await makeLogin("ann@user-actions.test");
    bob = await makeLogin("bob@user-actions.test");
  });
  afterAll(() => temp.cleanup());
  beforeEach(() => {
    auth.reissueSession.mockClear();
    auth.signOut.mockClear();
  });

  it("answers another user's token and session ids as not found, changing nothing", async () => {
    const annToken = (await listApiTokens({ userId: ann.id })).length;
    await signInForActions(ann);
    const created = await createTokenAction({}, formData({ name: "ci", expiresInDays: "", readOnly: "on" }));
    expect(created.created).toMatchObject({ name: "ci", readOnly: true, value: expect.stringMatching(/^ec_/) });
    const [token] = await listApiTokens({ userId: ann.id });
    const annSession = (await listActiveSessions({ userId: ann.id }))[0];
    expect(await listApiTokens({ userId: ann.id })).toHaveLength(annToken + 1);

    await signInForActions(bob);
    for (const id of [String(token.id), "999999", "1e0", ""]) {
      expect(await revokeTokenAction({}, formData({ tokenId: id }))).toEqual({
        error: "Not found: this token does not exist or is not yours.",
      });
      expect(await revokeSessionAction({}, formData({ sessionId: id === String(token.id) ? annSession.id : id }))).toEqual({
        error: "Not found: this session does not exist, is not yours or has already ended.",
      });
    }
    expect((await listApiTokens({ userId: ann.id })).map((t) => t.revokedAt)).toEqual([null]);
    expect((await listActiveSessions({ userId: ann.id })).map((s) => s.id)).toContain(annSession.id);

    await signInForActions(ann);
    expect(await revokeTokenAction({}, formData({ tokenId: token.id }))).toEqual({});
    expect((await listApiTokens({ userId: ann.id }))[0].revokedAt).not.toBeNull();
  });

  it("shows field messages for forms that do not parse, keeping what was typed", async () => {
    await signInForActions(ann);
    expect(await createTokenAction({}, formData({ name: " ", expiresInDays: "0" }))).toEqual({
      fieldErrors: {
        name: "Give the token a name, e.g. the machine or script that uses it.",
        expiresInDays: "Enter a whole number of days from 1 to 3650, or leave it empty.",
      },
      values: { name: " ", expiresInDays: "0", readOnly: false },
    });
    expect(await updateNameAction({}, formData({ name: "x".repeat(101) }))).toEqual({
      error: "Use at most 100 characters.",
      values: { name: "x".repeat(101) },
    });
    expect(await changePasswordAction({}, formData({ currentPassword: "", newPassword: "short", confirmPassword: "other" }))).toEqual({
      fieldErrors: {
        currentPassword: "Enter your current password.",
        newPassword: "Use at least 8 characters.",
        confirmPassword: "The two new passwords differ.",
      },
    });
    expect(await requestEmailChangeAction({}, formData({ newEmail: "nope", currentPassword: PASSWORD }))).toEqual({
      fieldErrors: { newEmail: "Enter a valid email address, like name@example.com." },
      values: { newEmail: "nope" },
    });
    expect(await confirmEnrolmentAction({}, formData({ code: "  " }))).toMatchObject({
      fieldErrors: { code: "Enter the code from your authenticator app." },
    });
  });

  it("checks the current password before a change of email or password, or deleting the user", async () => {
    await signInForActions(ann);
    expect(await requestEmailChangeAction({}, formData({ newEmail: "ann2@user-actions.test", currentPassword: "wrong" }))).toEqual({
      fieldErrors: { currentPassword: "That is not your current password." },
      values: { newEmail: "ann2@user-actions.test" },
    });
    expect(await pendingEmailChange({ userId: ann.id })).toBeNull();
    expect(
      await changePasswordAction(
        {},
        formData({ currentPassword: "wrong", newPassword: "a new password", confirmPassword: "a new password" }),
      ),
    ).toEqual({ fieldErrors: { currentPassword: "That is not your current password." } });
    expect(await deleteUserAction({}, formData({ confirmation: ann.email, currentPassword: "" }))).toMatchObject({
      fieldErrors: { currentPassword: "Enter your current password." },
    });
    expect(auth.reissueSession).not.toHaveBeenCalled();
    expect(auth.signOut).not.toHaveBeenCalled();
    expect(await getUserById({ id: ann.id })).toMatchObject({ email: ann.email, passwordHash: ann.passwordHash });
  });

  it("refuses to delete the last owner of an account, naming it", async () => {
    await makeAccount("Ann's Co", [{ userId: ann.id, role: "owner" }]);
    await signInForActions(ann);
    expect(await deleteUserAction({}, formData({ confirmation: ann.email, currentPassword: PASSWORD }))).toMatchObject({
      error: expect.stringMatching(/last owner of “Ann’s Co”|last owner of “Ann's Co”/),
    });
    expect(await getUserById({ id: ann.id })).toBeDefined();
    expect(auth.signOut).not.toHaveBeenCalled();
  });

  it("signs the other sessions out and re-issues this browser's cookie on its new session row", async () => {
    const other = await startUserSession({ userId: bob.id, request: { ip: "203.0.113.9", userAgent: "other" } });
    await signInForActions(bob);
    const state = await signOutEverywhereAction({}, formData({}));
    expect(state.message).toMatch(/^Signed out of \d+ other sessions?\.$/);
    expect(auth.reissueSession).toHaveBeenCalledTimes(1);
    const kept = auth.reissueSession.mock.calls[0][0];
    expect((await listActiveSessions({ userId: bob.id })).map((s) => s.sessionKey)).toEqual([kept]);
    expect(kept).not.toBe(other);
  });

  it("starts and cancels a two-factor set-up for the signed-in user only; turning it off needs it on", async () => {
    await signInForActions((await getUserById({ id: bob.id }))!); // on the session version of after "sign out everywhere"
    expect(await startEnrolmentAction({}, formData({}))).toEqual({});
    expect((await getUserById({ id: bob.id }))!.totpSecret).not.toBeNull();
    expect((await getUserById({ id: ann.id }))!.totpSecret).toBeNull();
    expect(await cancelEnrolmentAction({}, formData({}))).toEqual({});
    expect((await getUserById({ id: bob.id }))!.totpSecret).toBeNull();
    const off = await disableTwoFactorAction({}, formData({ code: "123456" }));
    expect(off.done).toBeUndefined();
    expect(off.error ?? off.fieldErrors?.code).toBeTruthy();
  });

  it("sends a signed-out caller to /login without running anything", async () => {
    signOutForActions();
    await expect(createTokenAction({}, formData({ name: "anon" }))).rejects.toThrow(/NEXT_REDIRECT/);
    await expect(signOutEverywhereAction({}, formData({}))).rejects.toThrow(/NEXT_REDIRECT/);
    expect(auth.reissueSession).not.toHaveBeenCalled();
  });
});
