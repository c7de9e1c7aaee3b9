import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import { getDb, writeTransaction, first, one } from "@/db";
import { auditEvents, emailTokens, invitations, memberships, securityEvents, users } from "@/db/schema";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { checkUserSession, listActiveSessions, startUserSession } from "@/lib/auth/sessions";
import { resetSettings } from "@/lib/config";
import { sendMail } from "@/lib/mail";
import { makeAccount, makeUser } from "@/lib/testing/people";
import { startSmtpServer, type TestSmtpServer } from "@/lib/testing/smtp-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { confirmEnrolment, pendingEnrolment, startEnrolment } from "@/lib/two-factor/enrolment";
import { deleteOwnUser, type DeleteUserResult } from "./delete-user";
import { deleteOwnUserAfterReauth } from "./delete-user-reauth";
import { checkEmailChangeToken, confirmEmailChange, pendingEmailChange, requestEmailChange } from "./email-change";
import { checkEmailChangeUndoToken, undoEmailChange } from "./email-change-undo";
import { changePassword } from "./password";
import { updateProfileName } from "./profile";
import { pinCurrentSession } from "./session-order";

const run = promisify(execFile);
const req = { ip: "198.51.100.7", userAgent: "vitest" };
const PASSWORD = "correct horse battery";

const userRow = async (id: number) => (await first(getDb().select().from(users).where(eq(users.id, id))))!;
const eventsOf = (userId: number) =>
  getDb().select().from(securityEvents).where(eq(securityEvents.userId, userId)).orderBy(securityEvents.id);

async function makeLogin(email: string, name: string | null = null) {
  const passwordHash = await hashPassword(PASSWORD);
  return writeTransaction((tx) => one(tx.insert(users).values({ email, name, passwordHash }).returning()));
}

describe("the user's own settings", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    process.env.SMTP_URL = smtp.smtpUrl;
    process.env.APP_URL = "https://console.example.net";
    process.env.RATE_LIMIT_REAUTH_PER_EMAIL = "3";
    temp = makeTempDataDir("ec-user-settings-");
  });
  afterAll(async () => {
    temp.cleanup();
    for (const name of ["SMTP_URL", "APP_URL", "RATE_LIMIT_REAUTH_PER_EMAIL"]) delete process.env[name];
    resetSettings();
    await smtp.close();
  });

  it("sets the name (empty clears it) and logs profile.update only on a change", async () => {
    const user = await makeLogin("name@example.com");
    expect(await updateProfileName({ userId: user.id, name: "  Ada  ", request: req })).toEqual({ changed: true });
    expect((await userRow(user.id)).name).toBe("Ada");
    expect(await updateProfileName({ userId: user.id, name: "Ada", request: req })).toEqual({ changed: false });
    await updateProfileName({ userId: user.id, name: "  ", request: req });
    expect((await userRow(user.id)).name).toBeNull();
    expect((await eventsOf(user.id)).map((e) => [e.kind, e.data])).toEqual([
      ["profile.update", { name: "Ada" }],
      ["profile.update", { name: null }],
    ]);
  });

  describe("password change", () => {
    it("needs the current password; wrong ones are rate-limited per email", async () => {
      const user = await makeLogin("pw-limit@example.com");
      for (let i = 0; i < 3; i++) {
        const wrong = await changePassword({
          user,
          currentPassword: "nope",
          newPassword: "new password 1",
          keepSessionKey: null,
          request: req,
        });
        expect(wrong).toEqual({ ok: false, field: "currentPassword", message: "That is not your current password." });
      }
      const limited = await changePassword({
        user,
        currentPassword: PASSWORD,
        newPassword: "new password 1",
        keepSessionKey: null,
        request: req,
      });
      expect(limited).toMatchObject({ ok: false, field: "currentPassword", message: expect.stringMatching(/^Too many attempts/) });
      expect(await verifyPassword((await userRow(user.id)).passwordHash, PASSWORD)).toBe(true); // nothing changed
      // Each wrong password is in the security log (the refused fourth attempt was never checked).
      expect((await eventsOf(user.id)).map((e) => [e.kind, e.ip, e.data])).toEqual(
        Array(3).fill(["reauth.failure", "198.51.100.7", { purpose: "password.change" }]),
      );
    });

    it("stores the new hash, signs out other sessions, keeps this one and logs it", async () => {
      const user = await makeLogin("pw@example.com");
      const here = await startUserSession({ userId: user.id, request: req });
      const other = await startUserSession({ userId: user.id, request: { ip: "203.0.113.9", userAgent: "other" } });
      const result = await changePassword({
        user,
        currentPassword: PASSWORD,
        newPassword: "a brand new secret",
        keepSessionKey: here,
        request: req,
      });
      expect(result).toEqual({ ok: true, revoked: 1, sessionKey: expect.any(String) });
      const after = await userRow(user.id);
      expect(await verifyPassword(after.passwordHash, "a brand new secret")).toBe(true);
      expect(after.sessionVersion).toBe(user.sessionVersion + 1);
      // This browser continues on a fresh key; its old key (and any copy of its old cookie) is dead like the other.
      const kept = result.ok ? result.sessionKey! : "";
      expect(await checkUserSession({ userId: user.id, sessionKey: kept })).toBe(true);
      expect(await checkUserSession({ userId: user.id, sessionKey: here })).toBe(false);
      expect(await checkUserSession({ userId: user.id, sessionKey: other })).toBe(false);
      expect((await eventsOf(user.id)).at(-1)).toMatchObject({ kind: "password.change", ip: "198.51.100.7", data: { revoked: 1 } });
      // The old user row (old hash) no longer passes: a concurrent change is refused.
      const stale = await changePassword({
        user,
        currentPassword: PASSWORD,
        newPassword: "third one here",
        keepSessionKey: here,
        request: req,
      });
      expect(stale.ok).toBe(false);
    });

    it("refuses the same password as the new one", async () => {
      const user = await makeLogin("pw-same@example.com");
      const result = await changePassword({ user, currentPassword: PASSWORD, newPassword: PASSWORD, keepSessionKey: null, request: req });
      expect(result).toMatchObject({ ok: false, field: "newPassword" });
    });
  });

  describe("email change", () => {
    it("mails a link to the new address and a notice to the old; only the link changes the email", async () => {
      const user = await makeLogin("old@example.com");
      const started = await requestEmailChange({ user, newEmail: "new@example.com", currentPassword: PASSWORD, request: req });
      if (!started.ok) throw new Error(started.message);
      await sendMail(started.mails.confirm);
      await sendMail(started.mails.notice);

      const [confirm] = smtp.mails("new@example.com");
      const link = confirm.text.match(/https:\/\/console\.example\.net\/change-email\/([A-Za-z0-9_-]{43})/);
      expect(link, confirm.text).not.toBeNull();
      const [notice] = smtp.mails("old@example.com");
      expect(notice.subject).toBe("Email change requested for your Edge Console login");
      expect(notice.text).toContain("new@example.com");
      expect(notice.text).not.toContain("/change-email/"); // the old address never gets the link

      expect((await userRow(user.id)).email).toBe("old@example.com");
      expect(await pendingEmailChange({ userId: user.id })).toMatchObject({ email: "new@example.com" });
      expect(await checkEmailChangeToken(link![1])).toEqual({
        status: "valid",
        userId: user.id,
        from: "old@example.com",
        to: "new@example.com",
      });

      const done = await confirmEmailChange({ token: link![1], request: req });
      expect(done.status).toBe("valid");
      const after = await userRow(user.id);
      expect(after.email).toBe("new@example.com");
      expect(after.emailVerifiedAt).not.toBeNull();
      expect(done.notice).toMatchObject({ to: "old@example.com", subject: "Your Edge Console login email was changed" });
      expect((await confirmEmailChange({ token: link![1] })).status).toBe("used");
      expect(await pendingEmailChange({ userId: user.id })).toBeNull();
      expect((await eventsOf(user.id)).map((e) => [e.kind, e.data])).toEqual([
        ["email.change-requested", { from: "old@example.com", to: "new@example.com" }],
        ["email.change", { from: "old@example.com", to: "new@example.com" }],
      ]);
    });

    it("refuses the current address, a taken address and a wrong password", async () => {
      const user = await makeLogin("keep@example.com");
      await makeLogin("taken@example.com");
      expect(await requestEmailChange({ user, newEmail: "keep@example.com", currentPassword: PASSWORD, request: req })).toMatchObject({
        ok: false,
        field: "newEmail",
      });
      expect(await requestEmailChange({ user, newEmail: "taken@example.com", currentPassword: PASSWORD, request: req })).toMatchObject({
        ok: false,
        field: "newEmail",
        message: "Another user already has this email address.",
      });
      expect(await requestEmailChange({ user, newEmail: "free@example.com", currentPassword: "wrong", request: req })).toMatchObject({
        ok: false,
        field: "currentPassword",
      });
      expect(await pendingEmailChange({ userId: user.id })).toBeNull();
      expect((await eventsOf(user.id)).map((e) => [e.kind, e.data])).toEqual([["reauth.failure", { purpose: "email.change" }]]);
    });

    it("re-checks at confirmation: an address taken meanwhile, an expired or replaced link change nothing", async () => {
      const user = await makeLogin("race@example.com");
      const t0 = new Date();
      const first = await requestEmailChange({ user, newEmail: "wanted@example.com", currentPassword: PASSWORD, request: req, now: t0 });
      const second = await requestEmailChange({ user, newEmail: "wanted@example.com", currentPassword: PASSWORD, request: req, now: t0 });
      if (!first.ok || !second.ok) throw new Error("request failed");
      const token = (m: { link?: string }) => m.link!.split("/").pop()!;
      expect((await confirmEmailChange({ token: token(first.mails.confirm) })).status).toBe("unknown"); // replaced by the second
      expect((await confirmEmailChange({ token: token(second.mails.confirm), now: new Date(t0.getTime() + 25 * 3600_000) })).status).toBe(
        "expired",
      );
      await makeLogin("wanted@example.com"); // someone signs up with the address meanwhile
      expect(await confirmEmailChange({ token: token(second.mails.confirm) })).toMatchObject({ status: "taken", to: "wanted@example.com" });
      expect((await userRow(user.id)).email).toBe("race@example.com");
    });

    /** Requests and confirms a change of `user`'s email to `to`; the confirming browser is `keep` (or none). */
    async function changeEmail(user: { id: number; email: string; passwordHash: string }, to: string, keep: string | null) {
      const started = await requestEmailChange({ user, newEmail: to, currentPassword: PASSWORD, request: req });
      if (!started.ok) throw new Error(started.message);
      return confirmEmailChange({ token: started.mails.confirm.link!.split("/").pop()!, keepSessionKey: keep, request: req });
    }

    it("signs every other session out when the change is confirmed; the confirming browser stays on a fresh key", async () => {
      const user = await makeLogin("sessions-old@example.com");
      const confirming = await startUserSession({ userId: user.id, request: req });
      const requesting = await startUserSession({ userId: user.id, request: { ip: "203.0.113.9", userAgent: "other" } });
      const done = await changeEmail(user, "sessions-new@example.com", confirming);
      expect(done).toMatchObject({ status: "valid", revoked: 1, sessionKey: expect.any(String) });
      const after = await userRow(user.id);
      expect(after.sessionVersion).toBe(user.sessionVersion + 1);
      expect(await checkUserSession({ userId: user.id, sessionKey: done.sessionKey })).toBe(true);
      expect(await checkUserSession({ userId: user.id, sessionKey: confirming })).toBe(false); // a copy of its old cookie is dead
      expect(await checkUserSession({ userId: user.id, sessionKey: requesting })).toBe(false);
      expect((await eventsOf(user.id)).at(-1)).toMatchObject({
        kind: "email.change",
        data: { from: "sessions-old@example.com", to: "sessions-new@example.com", revoked: 1 },
      });
      // Confirmed from a browser that is not signed in (or another login's key): every session ends.
      const again = await changeEmail(after, "sessions-third@example.com", "not-a-key-of-this-user");
      expect(again).toMatchObject({ status: "valid", revoked: 1, sessionKey: null });
      expect(await checkUserSession({ userId: user.id, sessionKey: done.sessionKey })).toBe(false);
    });

    it("mails the old address a 'This wasn't me' link that restores it once and signs out everywhere", async () => {
      const user = await makeLogin("victim@example.com");
      const victimBrowser = await startUserSession({ userId: user.id, request: req });
      const attacker = await startUserSession({ userId: user.id, request: { ip: "203.0.113.66", userAgent: "attacker" } });
      const done = await changeEmail(user, "attacker@example.com", attacker);
      if (done.status !== "valid") throw new Error(done.status);
      await sendMail(done.notice!);

      const [notice] = smtp.mails("victim@example.com").filter((m) => m.subject === "Your Edge Console login email was changed");
      expect(notice.text).toContain("attacker@example.com");
      const link = notice.text.match(/This wasn't me: https:\/\/console\.example\.net\/change-email\/undo\/([A-Za-z0-9_-]{43})/);
      expect(link, notice.text).not.toBeNull();
      expect(notice.html).toContain(`href="https://console.example.net/change-email/undo/${link![1]}"`);
      expect(smtp.mails("attacker@example.com").some((m) => m.text.includes("/change-email/undo/"))).toBe(false);
      // Only the hash is stored, valid 7 days.
      const stored = await getDb().select().from(emailTokens).where(eq(emailTokens.userId, user.id));
      const undo = stored.find((t) => t.kind === "revert-email-change")!;
      expect(undo).toMatchObject({ email: "victim@example.com", usedAt: null });
      expect(undo.tokenHash).not.toContain(link![1]);
      expect(undo.expiresAt.getTime() - Date.now()).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);
      expect(undo.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(7 * 24 * 3600_000);

      // Opening the link (the page's check) changes nothing; the attacker starts another change meanwhile.
      expect(await checkEmailChangeUndoToken(link![1])).toEqual({
        status: "valid",
        userId: user.id,
        current: "attacker@example.com",
        restore: "victim@example.com",
      });
      const attackerRow = await userRow(user.id);
      const pending = await requestEmailChange({
        user: attackerRow,
        newEmail: "attacker2@example.com",
        currentPassword: PASSWORD,
        request: req,
      });
      expect(pending.ok).toBe(true);
      expect((await userRow(user.id)).email).toBe("attacker@example.com");

      const undone = await undoEmailChange({ token: link![1], request: { ip: "198.51.100.8", userAgent: "victim" } });
      expect(undone).toMatchObject({ status: "valid", restore: "victim@example.com" });
      const after = await userRow(user.id);
      expect(after.email).toBe("victim@example.com");
      expect(after.emailVerifiedAt).not.toBeNull();
      expect(after.sessionVersion).toBe(attackerRow.sessionVersion + 1);
      expect(await listActiveSessions({ userId: user.id })).toEqual([]); // the attacker's kept browser too
      expect(await checkUserSession({ userId: user.id, sessionKey: done.sessionKey })).toBe(false);
      expect(await checkUserSession({ userId: user.id, sessionKey: victimBrowser })).toBe(false);
      expect(await pendingEmailChange({ userId: user.id })).toBeNull(); // the attacker's pending change is gone
      expect((await eventsOf(user.id)).at(-1)).toMatchObject({
        kind: "email.change-reverted",
        ip: "198.51.100.8",
        data: { from: "attacker@example.com", to: "victim@example.com", revoked: 1 },
      });
      // Single use.
      expect(await undoEmailChange({ token: link![1] })).toEqual({ status: "used" });
      expect(await checkEmailChangeUndoToken(link![1])).toEqual({ status: "used" });
    });

    it("refuses an undo link that expired, is unknown, or whose address another user took meanwhile", async () => {
      const user = await makeLogin("undo-old@example.com");
      const t0 = new Date();
      const started = await requestEmailChange({
        user,
        newEmail: "undo-new@example.com",
        currentPassword: PASSWORD,
        request: req,
        now: t0,
      });
      if (!started.ok) throw new Error(started.message);
      const done = await confirmEmailChange({ token: started.mails.confirm.link!.split("/").pop()!, now: t0 });
      const undoToken = done.notice!.link!.split("/").pop()!;
      expect(await undoEmailChange({ token: undoToken, now: new Date(t0.getTime() + 7 * 24 * 3600_000 + 1000) })).toEqual({
        status: "expired",
      });
      expect(await undoEmailChange({ token: "x".repeat(43) })).toEqual({ status: "unknown" });
      expect(await undoEmailChange({ token: "" })).toEqual({ status: "unknown" });
      await makeLogin("undo-old@example.com"); // someone signs up with the old address meanwhile
      expect(await undoEmailChange({ token: undoToken })).toEqual({ status: "taken", restore: "undo-old@example.com" });
      expect((await userRow(user.id)).email).toBe("undo-new@example.com");
    });
  });

  it("lists this browser's session first, the others in their order", () => {
    const rows = [{ sessionKey: "a" }, { sessionKey: "b" }, { sessionKey: "c" }];
    expect(pinCurrentSession(rows, "c").map((r) => r.sessionKey)).toEqual(["c", "a", "b"]);
    expect(pinCurrentSession(rows, "a").map((r) => r.sessionKey)).toEqual(["a", "b", "c"]);
    expect(pinCurrentSession(rows, null).map((r) => r.sessionKey)).toEqual(["a", "b", "c"]);
  });

  describe("deleting one's own user", () => {
    it("is refused while the user is the last owner of an account, naming those accounts", async () => {
      const owner = await makeUser("sole@example.com", "Sole");
      const other = await makeUser("co@example.com");
      await makeAccount("Acme", [{ userId: owner.id, role: "owner" }]);
      await makeAccount("Beta", [
        { userId: owner.id, role: "owner" },
        { userId: other.id, role: "developer" },
      ]);
      await makeAccount("Shared", [
        { userId: owner.id, role: "owner" },
        { userId: other.id, role: "owner" },
      ]);
      expect(await deleteOwnUser({ userId: owner.id, confirmation: "wrong@example.com" })).toMatchObject({
        ok: false,
        code: "confirmation",
      });
      const refused = await deleteOwnUser({ userId: owner.id, confirmation: " SOLE@example.com " });
      expect(refused).toMatchObject({ ok: false, code: "last_owner", accounts: [{ name: "Acme" }, { name: "Beta" }] });
      expect(refused.ok === false && "message" in refused ? refused.message : "").toMatch(/last owner of “Acme” and “Beta”/);
      expect(await userRow(owner.id)).toBeDefined();
    });

    it("removes a plain member with their memberships; the account, audit names and invitations stay", async () => {
      const owner = await makeUser("boss@example.com", "Boss");
      const member = await makeUser("leaver@example.com", "Lee Leaver");
      const { account } = await makeAccount("Gamma", [
        { userId: owner.id, role: "owner" },
        { userId: member.id, role: "admin" },
      ]);
      const db = getDb();
      await writeTransaction(async (tx) => {
        await tx.insert(auditEvents).values({
          accountId: account.id,
          actorUserId: member.id,
          actorName: "Lee Leaver",
          action: "application.create",
          targetType: "application",
          targetLabel: "www",
        });
        await tx.insert(invitations).values({
          accountId: account.id,
          email: "guest@example.com",
          role: "viewer",
          tokenHash: "h1",
          invitedBy: member.id,
          invitedByName: "Lee Leaver",
          expiresAt: new Date(Date.now() + 3600_000),
        });
      });

      expect(await deleteOwnUser({ userId: member.id, confirmation: "leaver@example.com" })).toEqual({ ok: true, leftAccounts: 1 });
      expect(await first(db.select().from(users).where(eq(users.id, member.id)))).toBeUndefined();
      expect((await db.select().from(memberships).where(eq(memberships.accountId, account.id))).map((m) => m.userId)).toEqual([owner.id]);
      const audit = await db.select().from(auditEvents).where(eq(auditEvents.accountId, account.id)).orderBy(auditEvents.id);
      expect(audit.map((a) => [a.action, a.actorUserId, a.actorName])).toEqual([
        ["application.create", null, "Lee Leaver"],
        ["member.leave", null, "Lee Leaver"],
      ]);
      expect(await first(db.select().from(invitations).where(eq(invitations.accountId, account.id)))).toMatchObject({
        invitedBy: null,
        invitedByName: "Lee Leaver",
      });
    });

    it("two owners deleting themselves at the same moment (two processes): one goes, the account keeps the other", async () => {
      const a = await makeUser("race-a@example.com");
      const b = await makeUser("race-b@example.com");
      const { account } = await makeAccount("Race", [
        { userId: a.id, role: "owner" },
        { userId: b.id, role: "owner" },
      ]);
      const root = path.resolve(import.meta.dirname, "../..");
      const startAt = Date.now() + 5000; // both workers have opened the database by then (tsx start-up on a busy machine)
      const outputs = await Promise.all(
        [a, b].map((u) =>
          run(
            path.join(root, "node_modules", ".bin", "tsx"),
            ["lib/testing/delete-user-race-worker.ts", JSON.stringify({ userId: u.id, confirmation: u.email, startAt, pauseMs: 500 })],
            {
              cwd: root,
              env: { PATH: process.env.PATH, DATA_DIR: temp.dir, DATABASE_URL: process.env.DATABASE_URL, NODE_ENV: "test" },
            },
          ),
        ),
      );
      const [ra, rb] = outputs.map(
        (o) => JSON.parse(o.stdout.trim().split("\n").pop()!) as { result: DeleteUserResult; started: number; finished: number },
      );
      // They really overlapped: each started before the other finished (one waited for the other's write lock).
      expect(ra.started).toBeLessThan(rb.finished);
      expect(rb.started).toBeLessThan(ra.finished);
      expect([ra.result.ok, rb.result.ok].sort()).toEqual([false, true]);
      expect([ra.result, rb.result].find((r) => !r.ok)).toMatchObject({ code: "last_owner", accounts: [{ id: account.id, name: "Race" }] });
      expect(await getDb().select().from(memberships).where(eq(memberships.accountId, account.id))).toMatchObject([{ role: "owner" }]);
    }, 30_000);

    it("needs the current password (a wrong one is logged and deletes nothing), then deletes", async () => {
      const user = await makeLogin("reauth-delete@example.com");
      const base = { user, confirmation: user.email, twoFactorCode: "", request: req };
      expect(await deleteOwnUserAfterReauth({ ...base, confirmation: "nope@example.com", currentPassword: PASSWORD })).toMatchObject({
        ok: false,
        code: "confirmation",
      });
      expect(await deleteOwnUserAfterReauth({ ...base, currentPassword: "not it" })).toEqual({
        ok: false,
        code: "reauth",
        field: "currentPassword",
        message: "That is not your current password.",
      });
      expect(await userRow(user.id)).toBeDefined();
      expect((await eventsOf(user.id)).map((e) => [e.kind, e.data])).toEqual([["reauth.failure", { purpose: "user.delete" }]]);
      expect(await deleteOwnUserAfterReauth({ ...base, currentPassword: PASSWORD })).toEqual({ ok: true, leftAccounts: 0 });
      expect(await first(getDb().select().from(users).where(eq(users.id, user.id)))).toBeUndefined();
    });

    it("with two-factor authentication on, also needs a fresh code (each code works once)", async () => {
      const login = await makeLogin("tfa-delete@example.com");
      await startEnrolment({ userId: login.id });
      const secret = (await pendingEnrolment(await userRow(login.id)))!.manualKey.replace(/ /g, "");
      const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
      const step = Math.floor(Date.now() / 30_000);
      const enrolled = await confirmEnrolment({
        user: await userRow(login.id),
        code: totp.generate({ timestamp: (step - 1) * 30_000 + 1000 }),
        context: req,
      });
      if (!enrolled.ok) throw new Error(enrolled.message);
      const user = await userRow(login.id);
      const base = { user, confirmation: user.email, currentPassword: PASSWORD, request: req };
      expect(await deleteOwnUserAfterReauth({ ...base, twoFactorCode: "" })).toMatchObject({ ok: false, code: "reauth", field: "code" });
      expect(await deleteOwnUserAfterReauth({ ...base, twoFactorCode: "000000" })).toMatchObject({
        ok: false,
        code: "reauth",
        field: "code",
        message: /not valid/,
      });
      // The code used to turn it on is of an accepted step already: replaying it is refused.
      expect(
        await deleteOwnUserAfterReauth({ ...base, twoFactorCode: totp.generate({ timestamp: (step - 1) * 30_000 + 1000 }) }),
      ).toMatchObject({ ok: false, field: "code" });
      expect(await userRow(user.id)).toBeDefined();
      expect(await deleteOwnUserAfterReauth({ ...base, twoFactorCode: enrolled.recoveryCodes[0] })).toEqual({ ok: true, leftAccounts: 0 });
      expect(await first(getDb().select().from(users).where(eq(users.id, user.id)))).toBeUndefined();
    });

    it("counts owners at the time of the delete: of two owners deleting themselves, the second is refused", async () => {
      const a = await makeUser("twin-a@example.com");
      const b = await makeUser("twin-b@example.com");
      const { account } = await makeAccount("Twins", [
        { userId: a.id, role: "owner" },
        { userId: b.id, role: "owner" },
      ]);
      expect(await deleteOwnUser({ userId: a.id, confirmation: "twin-a@example.com" })).toMatchObject({ ok: true });
      expect(await deleteOwnUser({ userId: b.id, confirmation: "twin-b@example.com" })).toMatchObject({
        ok: false,
        code: "last_owner",
        accounts: [{ id: account.id, name: "Twins" }],
      });
    });
  });
});
