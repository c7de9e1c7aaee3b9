import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import { getDb, writeTransaction, first } from "@/db";
import { accounts, auditEvents, recoveryCodes, securityEvents, users } from "@/db/schema";
import { getUserById } from "@/lib/users/queries";
import { resetSettings } from "@/lib/config";
import { makeAccount, makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { confirmEnrolment, disableTwoFactor, pendingEnrolment, regenerateRecoveryCodes, startEnrolment, WRONG_CODE } from "./enrolment";
import { setRequireTwoFactor } from "./account-setting";
import { effectiveRole } from "@/lib/auth/roles";
import { membersWithoutTwoFactor, TWO_FACTOR_REQUIRED_MESSAGE } from "./requirement";
import { openTotpState } from "./secret-box";
import { refusedCodeMessage, verifySignInCode } from "./sign-in";

const context = { ip: "198.51.100.7", userAgent: "vitest" };

/** The code an authenticator app shows for `secret` (base32) at `timestamp`, computed independently with otpauth. */
function appCode(secret: string, timestamp = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" }).generate({ timestamp });
}

const userRow = async (id: number) => (await getUserById({ id }))!;
const events = (userId: number) =>
  getDb().select({ kind: securityEvents.kind, data: securityEvents.data }).from(securityEvents).where(eq(securityEvents.userId, userId));

/** Enrols the user and confirms with the current code; returns the secret (read like a person would: the manual key) and the codes. */
async function enrol(email: string) {
  const user = await makeUser(email);
  expect(await startEnrolment({ userId: user.id })).toEqual({ ok: true });
  const pending = await pendingEnrolment(await userRow(user.id));
  const secret = pending!.manualKey.replace(/ /g, "");
  const confirmed = await confirmEnrolment({ user: await userRow(user.id), code: appCode(secret), context });
  if (!confirmed.ok) throw new Error(confirmed.message);
  return { user: await userRow(user.id), secret, codes: confirmed.recoveryCodes };
}

describe("two-factor authentication", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(() => {
    temp = makeTempDataDir("ec-2fa-");
  });
  afterEach(() => {
    delete process.env.RATE_LIMIT_TWO_FACTOR_PER_EMAIL;
    resetSettings();
  });
  afterAll(() => temp.cleanup());

  it("enrols with a QR code and a manual key, stores the secret encrypted, and turns on with a first code", async () => {
    const user = await makeUser("enrol@example.com");
    await startEnrolment({ userId: user.id });
    const pending = await pendingEnrolment(await userRow(user.id));
    expect(pending!.uri).toMatch(/^otpauth:\/\/totp\/Edge%20Console:enrol%40example\.com\?.*secret=[A-Z2-7]{32}/);
    expect(pending!.manualKey).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(Buffer.from(pending!.qrDataUrl.split(",")[1], "base64").toString()).toContain("<svg");
    const secret = pending!.manualKey.replace(/ /g, "");
    const stored = (await userRow(user.id)).totpSecret!;
    expect(stored).not.toContain(secret);
    expect(openTotpState(user.id, stored).secret).toBe(secret);
    expect(() => openTotpState(user.id + 1, stored)).toThrow(); // bound to its user

    const wrong = await confirmEnrolment({ user: await userRow(user.id), code: appCode(secret, Date.now() - 5 * 60_000), context });
    expect(wrong).toMatchObject({ ok: false, code: "invalid", message: WRONG_CODE });
    expect((await userRow(user.id)).totpEnabledAt).toBeNull();

    const confirmed = await confirmEnrolment({ user: await userRow(user.id), code: appCode(secret), context });
    expect(confirmed.ok).toBe(true);
    if (!confirmed.ok) return;
    expect(confirmed.recoveryCodes).toHaveLength(10);
    expect(new Set(confirmed.recoveryCodes).size).toBe(10);
    expect((await userRow(user.id)).totpEnabledAt).toBeInstanceOf(Date);
    const hashes = await getDb().select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
    expect(hashes).toHaveLength(10);
    for (const row of hashes) {
      expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
      expect(confirmed.recoveryCodes).not.toContain(row.codeHash);
    }
    expect((await events(user.id)).map((e) => e.kind)).toEqual(["two-factor.enable"]);
    expect(await startEnrolment({ userId: user.id })).toMatchObject({ ok: false, code: "state" });
  });

  it("accepts a sign-in code once per time step (replay refused) and records failures", async () => {
    const { user, secret } = await enrol("replay@example.com");
    const confirmCode = appCode(secret);
    expect(await verifySignInCode({ user, code: confirmCode, context })).toMatchObject({ ok: false, code: "invalid" }); // used to confirm
    const next = appCode(secret, Date.now() + 30_000); // the next step, inside the ±1 window
    expect(await verifySignInCode({ user, code: next.replace(/(\d{3})/, "$1 "), context })).toEqual({ ok: true, kind: "totp" });
    expect(await verifySignInCode({ user, code: next, context })).toMatchObject({ ok: false, code: "invalid" });
    expect(await verifySignInCode({ user, code: appCode(secret, Date.now() + 120_000), context })).toMatchObject({ ok: false }); // outside the window
    expect((await events(user.id)).map((e) => e.kind)).toEqual([
      "two-factor.enable",
      "signin.two-factor-failure",
      "signin.two-factor-failure",
      "signin.two-factor-failure",
    ]);
  });

  it("lets each recovery code sign in once, in any case and with or without its dash", async () => {
    const { user, codes } = await enrol("recovery@example.com");
    const first = await verifySignInCode({ user, code: ` ${codes[0].toUpperCase()} `, context });
    expect(first).toEqual({ ok: true, kind: "recovery", recoveryCodesLeft: 9 });
    expect(await verifySignInCode({ user, code: codes[0].replace("-", ""), context })).toMatchObject({ ok: false, code: "invalid" });
    expect(await verifySignInCode({ user, code: "abcde-fghjk", context })).toMatchObject({ ok: false, code: "invalid" });
    const kinds = await events(user.id);
    expect(kinds.map((e) => e.kind)).toEqual([
      "two-factor.enable",
      "signin.recovery-code",
      "signin.two-factor-failure",
      "signin.two-factor-failure",
    ]);
    expect(kinds[1].data).toEqual({ recoveryCodesLeft: 9 });
    // Another user's recovery code is not this user's.
    const other = await enrol("recovery-other@example.com");
    expect(await verifySignInCode({ user, code: other.codes[0], context })).toMatchObject({ ok: false, code: "invalid" });
  });

  it("tells a wrong recovery code from a wrong authenticator code at sign-in", () => {
    expect(refusedCodeMessage("123 456")).toBe("That code is not valid. Check your authenticator app and try again.");
    expect(refusedCodeMessage("ABCDE-FGHJK")).toBe("That recovery code is not valid or was already used.");
    expect(refusedCodeMessage("abcdefghjk")).toBe("That recovery code is not valid or was already used.");
    expect(refusedCodeMessage("12345")).toMatch(/^That code is not valid\. Enter the 6-digit code .* or one of your recovery codes\.$/);
  });

  it("refuses codes after too many wrong ones, even the right one, and says how long to wait", async () => {
    process.env.RATE_LIMIT_TWO_FACTOR_PER_EMAIL = "3";
    resetSettings();
    const { user, secret } = await enrol("limit@example.com");
    const good = await verifySignInCode({ user, code: appCode(secret, Date.now() + 30_000), context });
    expect(good.ok).toBe(true); // successes do not count
    for (let i = 0; i < 3; i++)
      expect(await verifySignInCode({ user, code: "000000", context })).toMatchObject({ ok: false, code: "invalid" });
    const refused = await verifySignInCode({ user, code: appCode(secret, Date.now() - 30_000), context });
    expect(refused).toMatchObject({ ok: false, code: "rate_limited", message: "Too many attempts. Try again in 15 minutes." });
    // Settings share the limit: disabling is refused too.
    expect(await disableTwoFactor({ user, code: appCode(secret, Date.now() - 30_000), context })).toMatchObject({ code: "rate_limited" });
    expect((await userRow(user.id)).totpEnabledAt).not.toBeNull();
    expect((await events(user.id)).at(-1)).toMatchObject({ kind: "signin.rate-limited", data: { step: "two-factor" } });
  });

  it("regenerates recovery codes and disables only with a fresh code", async () => {
    const { user, secret, codes } = await enrol("disable@example.com");
    expect(await regenerateRecoveryCodes({ user, code: "123", context })).toMatchObject({ ok: false, code: "invalid" });
    const again = await regenerateRecoveryCodes({ user, code: codes[3], context });
    expect(again.ok).toBe(true);
    if (!again.ok) return;
    expect(await verifySignInCode({ user, code: codes[4], context })).toMatchObject({ ok: false }); // old codes are gone
    expect(await disableTwoFactor({ user, code: appCode(secret), context })).toMatchObject({ ok: false, code: "invalid" }); // step used at confirm
    expect(await disableTwoFactor({ user, code: appCode(secret, Date.now() + 30_000), context })).toEqual({ ok: true });
    const after = await userRow(user.id);
    expect(after.totpSecret).toBeNull();
    expect(after.totpEnabledAt).toBeNull();
    expect(await getDb().select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id))).toHaveLength(0);
    expect((await events(user.id)).map((e) => e.kind)).toEqual([
      "two-factor.enable",
      "two-factor.recovery-codes",
      "signin.two-factor-failure",
      "two-factor.disable",
    ]);
    expect(await disableTwoFactor({ user: after, code: appCode(secret, Date.now() + 30_000), context })).toMatchObject({ code: "state" });
  });

  it("lets only an owner with two-factor authentication require it, and then blocks members without it", async () => {
    const owner = await makeUser("owner-2fa@example.com");
    const admin = await makeUser("admin-2fa@example.com");
    const member = await enrol("member-2fa@example.com");
    const plain = await makeUser("plain-2fa@example.com");
    const { account } = await makeAccount("Secure Co", [
      { userId: owner.id, role: "owner" },
      { userId: admin.id, role: "admin" },
      { userId: member.user.id, role: "developer" },
      { userId: plain.id, role: "viewer" },
    ]);
    const actor = (u: { id: number }) => ({ id: u.id, name: "x" });
    expect(await setRequireTwoFactor({ accountId: account.id, actor: actor(owner), required: true })).toMatchObject({
      ok: false,
      code: "invalid",
    });
    expect(await setRequireTwoFactor({ accountId: account.id, actor: actor(admin), required: true })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    expect(
      await setRequireTwoFactor({ accountId: account.id, actor: actor(await makeUser("stranger-2fa@example.com")), required: true }),
    ).toMatchObject({ code: "not_found" });
    await writeTransaction((tx) => tx.update(users).set({ totpEnabledAt: new Date() }).where(eq(users.id, owner.id)));
    expect(await setRequireTwoFactor({ accountId: account.id, actor: actor(owner), required: true })).toEqual({ ok: true, changed: true });
    expect((await first(getDb().select().from(accounts).where(eq(accounts.id, account.id))))!.requireTwoFactor).toBe(true);

    expect((await effectiveRole(account.id, plain.id)).kind === "blocked").toBe(true);
    expect(await membersWithoutTwoFactor(getDb(), account.id)).toEqual(["admin-2fa@example.com", "plain-2fa@example.com"]);
    expect((await effectiveRole(account.id, member.user.id)).kind === "blocked").toBe(false);
    expect((await effectiveRole(account.id + 999, plain.id)).kind === "blocked").toBe(false); // unknown account: the 404 path decides
    expect(await setRequireTwoFactor({ accountId: account.id, actor: actor(owner), required: true })).toEqual({ ok: true, changed: false });
    expect(await setRequireTwoFactor({ accountId: account.id, actor: actor(owner), required: false })).toEqual({ ok: true, changed: true });
    expect((await effectiveRole(account.id, plain.id)).kind === "blocked").toBe(false);
    expect(await setRequireTwoFactor({ accountId: account.id, actor: actor(owner), required: true })).toEqual({ ok: true, changed: true });
    const audit = await getDb().select().from(auditEvents).where(eq(auditEvents.accountId, account.id));
    expect(audit.map((a) => [a.action, a.data])).toEqual([
      ["account.require-two-factor", { required: true }],
      ["account.require-two-factor", { required: false }],
      ["account.require-two-factor", { required: true }],
    ]);
    // An owner who later turns their own 2FA off is blocked too, also from this setting.
    await writeTransaction((tx) => tx.update(users).set({ totpEnabledAt: null }).where(eq(users.id, owner.id)));
    expect(await setRequireTwoFactor({ accountId: account.id, actor: actor(owner), required: false })).toEqual({
      ok: false,
      code: "forbidden",
      message: TWO_FACTOR_REQUIRED_MESSAGE,
    });
  });
});
