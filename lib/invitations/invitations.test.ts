import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first, one } from "@/db";
import { invitations, users } from "@/db/schema";
import { resetSettings } from "@/lib/config";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { actorOf, auditOf, makeAccount, makeUser, roleOf } from "@/lib/testing/people";
import { startSmtpServer, type TestSmtpServer } from "@/lib/testing/smtp-server";
import { hashToken } from "@/lib/tokens";
import { acceptInvitation, findInvitation } from "./accept";
import { createInvitation, resendInvitation, revokeInvitation, type Invited } from "./manage";
import { invitationState, refusalText } from "./state";

const HOUR = 3_600_000;
const T0 = new Date("2030-01-01T10:00:00Z");

function invited(result: Awaited<ReturnType<typeof createInvitation>>): Invited {
  if (!result.ok) throw new Error(result.message);
  return result;
}

const allInvitations = () => getDb().select().from(invitations).orderBy(invitations.id);

describe("invitations", () => {
  let smtp: TestSmtpServer;
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    process.env.SMTP_URL = smtp.smtpUrl;
    process.env.APP_URL = "https://console.example.net";
  });
  afterAll(async () => {
    delete process.env.SMTP_URL;
    delete process.env.APP_URL;
    delete process.env.INVITE_TTL_HOURS;
    resetSettings();
    await smtp.close();
  });
  beforeEach(() => {
    smtp.clear();
    temp = makeTempDataDir("ec-invites-");
  });
  afterEach(() => temp.cleanup());

  async function team() {
    const own = await makeUser("own@example.com", "Olga");
    const adm = await makeUser("adm@example.com", "Adam");
    const dev = await makeUser("dev@example.com");
    const made = await makeAccount("Acme <Corp>", [
      { userId: own.id, role: "owner" },
      { userId: adm.id, role: "admin" },
      { userId: dev.id, role: "developer" },
    ]);
    return { own, adm, dev, ...made };
  }

  it("stores only the SHA-256 of the link token, normalises the address, mails an APP_URL link, and audits", async () => {
    const t = await team();
    const result = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "  Alice@Example.COM ", role: "developer", now: T0 }),
    );
    expect(result.mailed).toBe(true);
    expect(result.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await allInvitations();
    expect(row).toMatchObject({
      accountId: t.account.id,
      email: "alice@example.com",
      role: "developer",
      status: "pending",
      tokenHash: hashToken(result.token),
      invitedBy: t.own.id,
      invitedByName: "Olga",
      expiresAt: new Date(T0.getTime() + 48 * HOUR),
    });
    expect(JSON.stringify(row)).not.toContain(result.token);

    const [mail] = smtp.mails("alice@example.com");
    expect(mail.subject).toBe("Olga invited you to Acme <Corp> on Edge Console");
    expect(mail.text).toContain(`https://console.example.net/invite/${result.token}`);
    expect(mail.text).toContain("with the role Developer");
    expect(mail.text).toContain("expires in 48 hours");
    expect(await auditOf(t.account.id)).toEqual([["invitation.create", t.own.id, "alice@example.com"]]);
  });

  it("refuses inviting an existing member (any case) as a field error, and roles the inviter may not grant", async () => {
    const t = await team();
    expect(await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "DEV@example.com", role: "viewer" })).toEqual({
      ok: false,
      code: "invalid",
      field: "email",
      message: "dev@example.com is already a member of this account.",
    });
    expect(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.adm), email: "new@example.com", role: "owner" }),
    ).toMatchObject({
      ok: false,
      field: "role",
      message: "Your role (Admin) cannot invite someone as Owner.",
    });
    expect(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.dev), email: "new@example.com", role: "viewer" }),
    ).toMatchObject({
      ok: false,
      code: "forbidden",
      message: "Your role in this account (Developer) cannot invite members. Ask an owner or admin.",
    });
    const stranger = await makeUser("stranger@example.com");
    expect(
      await createInvitation({ accountId: t.account.id, actor: actorOf(stranger), email: "new@example.com", role: "viewer" }),
    ).toMatchObject({
      ok: false,
      code: "not_found",
    });
    expect(
      invited(await createInvitation({ accountId: t.account.id, actor: actorOf(t.adm), email: "new@example.com", role: "admin" }))
        .invitation.role,
    ).toBe("admin");
    expect(await allInvitations()).toHaveLength(1);
    expect(smtp.mails()).toHaveLength(1);
  });

  it("inviting a pending address again re-sends: the old link is replaced and points at the new one", async () => {
    const t = await team();
    const first = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "alice@example.com", role: "viewer", now: T0 }),
    );
    const second = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.adm), email: "ALICE@example.com", role: "developer", now: T0 }),
    );
    expect(second.replaced?.id).toBe(first.invitation.id);
    const [old, fresh] = await allInvitations();
    expect(old).toMatchObject({ status: "replaced", replacedBy: fresh.id });
    expect(fresh).toMatchObject({ status: "pending", role: "developer", invitedByName: "Adam" });
    expect(smtp.mails("alice@example.com")).toHaveLength(2);
    expect((await auditOf(t.account.id)).map(([a]) => a)).toEqual(["invitation.create", "invitation.resend"]);
  });

  it("resend writes a new token and expiry; the old link says replaced, the new one works", async () => {
    const t = await team();
    const alice = await makeUser("alice@example.com");
    const first = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "alice@example.com", role: "viewer", now: T0 }),
    );
    const later = new Date(T0.getTime() + 72 * HOUR); // the first link has expired by now; resend still works
    expect((await findInvitation(first.token, later))?.state).toBe("expired");
    const second = await resendInvitation({ invitationId: first.invitation.id, actor: actorOf(t.adm), now: later });
    if (!second.ok) throw new Error(second.message);
    expect(second.token).not.toBe(first.token);
    expect(second.invitation.expiresAt).toEqual(new Date(later.getTime() + 48 * HOUR));
    expect((await findInvitation(first.token, later))?.state).toBe("replaced");
    expect(await acceptInvitation({ token: first.token, actor: actorOf(alice), now: later })).toMatchObject({
      ok: false,
      reason: "replaced",
    });
    expect(await acceptInvitation({ token: second.token, actor: actorOf(alice), now: later })).toEqual({
      ok: true,
      accountId: t.account.id,
    });
    expect(await roleOf(t.account.id, alice.id)).toBe("viewer");
    // The replaced row can be neither re-sent nor revoked.
    expect(await resendInvitation({ invitationId: first.invitation.id, actor: actorOf(t.own) })).toMatchObject({
      ok: false,
      code: "invalid",
    });
    expect(await revokeInvitation({ invitationId: first.invitation.id, actor: actorOf(t.own) })).toMatchObject({
      ok: false,
      code: "invalid",
    });
  });

  it("expires after INVITE_TTL_HOURS (default 48)", async () => {
    const t = await team();
    const alice = await makeUser("alice@example.com");
    const link = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "alice@example.com", role: "viewer", now: T0 }),
    );
    const justBefore = new Date(T0.getTime() + 48 * HOUR - 1);
    const at = new Date(T0.getTime() + 48 * HOUR);
    expect((await findInvitation(link.token, justBefore))?.state).toBe("pending");
    expect(await acceptInvitation({ token: link.token, actor: actorOf(alice), now: at })).toEqual({
      ok: false,
      reason: "expired",
      accountId: t.account.id,
    });
    expect(await roleOf(t.account.id, alice.id)).toBeNull();

    process.env.INVITE_TTL_HOURS = "1";
    resetSettings();
    try {
      const short = invited(
        await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "bob@example.com", role: "viewer", now: T0 }),
      );
      expect(short.invitation.expiresAt).toEqual(new Date(T0.getTime() + HOUR));
      expect(smtp.mails("bob@example.com")[0].text).toContain("expires in 1 hour.");
    } finally {
      delete process.env.INVITE_TTL_HOURS;
      resetSettings();
    }
  });

  it("accepting: case-insensitive address match, single use, verifies the address, audited", async () => {
    const t = await team();
    const alice = await makeUser("alice@example.com", "Alice");
    const link = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "Alice@Example.com", role: "developer", now: T0 }),
    );
    expect((await first(getDb().select().from(users).where(eq(users.id, alice.id))))?.emailVerifiedAt).toBeNull();

    const at = new Date(T0.getTime() + HOUR);
    expect(await acceptInvitation({ token: link.token, actor: actorOf(alice), now: at })).toEqual({ ok: true, accountId: t.account.id });
    expect(await roleOf(t.account.id, alice.id)).toBe("developer");
    expect((await first(getDb().select().from(users).where(eq(users.id, alice.id))))?.emailVerifiedAt).toEqual(at);
    expect((await allInvitations())[0]).toMatchObject({ status: "accepted", acceptedBy: alice.id, acceptedAt: at });
    expect((await auditOf(t.account.id)).at(-1)).toEqual(["invitation.accept", alice.id, "alice@example.com"]);

    // Same link again: already used, nothing written.
    expect(await acceptInvitation({ token: link.token, actor: actorOf(alice), now: at })).toMatchObject({ ok: false, reason: "accepted" });
    expect((await findInvitation(link.token, at))?.state).toBe("accepted");
    expect(await auditOf(t.account.id)).toHaveLength(2);
  });

  it("keeps an earlier verification time", async () => {
    const t = await team();
    const verifiedAt = new Date("2029-06-01T00:00:00Z");
    const alice = await writeTransaction((tx) =>
      one(tx.insert(users).values({ email: "alice@example.com", passwordHash: "x", emailVerifiedAt: verifiedAt }).returning()),
    );
    const link = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "alice@example.com", role: "viewer", now: T0 }),
    );
    expect(await acceptInvitation({ token: link.token, actor: actorOf(alice), now: T0 })).toMatchObject({ ok: true });
    expect((await first(getDb().select().from(users).where(eq(users.id, alice.id))))?.emailVerifiedAt).toEqual(verifiedAt);
  });

  it("refuses another user, an existing member, a revoked and an unknown link — writing nothing", async () => {
    const t = await team();
    const alice = await makeUser("alice@example.com");
    const mallory = await makeUser("mallory@example.com");
    const link = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "alice@example.com", role: "admin", now: T0 }),
    );
    expect(await acceptInvitation({ token: link.token, actor: actorOf(mallory), now: T0 })).toEqual({ ok: false, reason: "wrong_user" });
    expect(await roleOf(t.account.id, mallory.id)).toBeNull();

    // The developer (now at another address) opens an invitation for it: already a member.
    const made = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "dev@example.org", role: "viewer", now: T0 }),
    );
    const dev = (await first(getDb().select().from(users).where(eq(users.id, t.dev.id))))!;
    await writeTransaction((tx) => tx.update(users).set({ email: "dev@example.org" }).where(eq(users.id, dev.id)));
    expect(await acceptInvitation({ token: made.token, actor: actorOf(dev), now: T0 })).toEqual({
      ok: false,
      reason: "already_member",
      accountId: t.account.id,
    });

    expect(await revokeInvitation({ invitationId: link.invitation.id, actor: actorOf(t.adm) })).toEqual({
      ok: true,
      accountId: t.account.id,
    });
    expect((await findInvitation(link.token, T0))?.state).toBe("revoked");
    expect(await acceptInvitation({ token: link.token, actor: actorOf(alice), now: T0 })).toMatchObject({ ok: false, reason: "revoked" });
    expect(await acceptInvitation({ token: "x".repeat(43), actor: actorOf(alice), now: T0 })).toEqual({ ok: false, reason: "not_found" });
    expect(await acceptInvitation({ token: "../../etc", actor: actorOf(alice), now: T0 })).toEqual({ ok: false, reason: "not_found" });
    expect(await findInvitation("short", T0)).toBeNull();
    expect(await roleOf(t.account.id, alice.id)).toBeNull();
    expect((await auditOf(t.account.id)).map(([a]) => a)).toEqual(["invitation.create", "invitation.create", "invitation.revoke"]);
  });

  it("admins cannot re-send or revoke an owner invitation; non-members get not found", async () => {
    const t = await team();
    const link = invited(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.own), email: "boss@example.com", role: "owner", now: T0 }),
    );
    const message = "Only an owner can manage an invitation to join as Owner.";
    expect(await resendInvitation({ invitationId: link.invitation.id, actor: actorOf(t.adm) })).toMatchObject({ ok: false, message });
    expect(await revokeInvitation({ invitationId: link.invitation.id, actor: actorOf(t.adm) })).toMatchObject({ ok: false, message });
    expect(
      await createInvitation({ accountId: t.account.id, actor: actorOf(t.adm), email: "boss@example.com", role: "viewer" }),
    ).toMatchObject({
      ok: false,
      field: "email",
    });
    const stranger = await makeUser("stranger@example.com");
    expect(await revokeInvitation({ invitationId: link.invitation.id, actor: actorOf(stranger) })).toMatchObject({
      ok: false,
      code: "not_found",
    });
    expect(await revokeInvitation({ invitationId: link.invitation.id, actor: actorOf(t.dev) })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    expect((await allInvitations()).map((i) => i.status)).toEqual(["pending"]);
  });

  it("state and words of a link", () => {
    const row = { status: "pending" as const, expiresAt: T0 };
    expect(invitationState(row, new Date(T0.getTime() - 1))).toBe("pending");
    expect(invitationState(row, T0)).toBe("expired");
    expect(invitationState({ ...row, status: "revoked" }, new Date(0))).toBe("revoked");
    expect(refusalText("replaced", { inviterName: "Olga", accountName: "Acme" }).body).toContain("use the link in the latest email");
  });
});
