import { and, desc, eq, isNull, ne } from "drizzle-orm";
import { z } from "zod";
import { getDb, writeTransaction, type Db, first, isUniqueViolation } from "@/db";
import { emailTokens, users } from "@/db/schema";
import { emailField } from "@/lib/auth/email";
import { endSessionsInTx } from "@/lib/auth/sessions";
import type { Mail } from "@/lib/mail";
import {
  CHANGE_EMAIL_TTL_HOURS,
  changeEmailConfirmMail,
  emailChangedMail,
  emailChangeRequestedMail,
  REVERT_EMAIL_CHANGE_TTL_DAYS,
} from "@/lib/mail/settings-templates";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";
import { hashToken, newLinkToken } from "@/lib/tokens";
import { checkCurrentPassword } from "./reauth";

// Changing the login's email (docs/product.md §3.1, re-verified): a link goes to the NEW address (`email_tokens` kind
// `change-email`, whose `email` is the new address, stored as a SHA-256 hash, 24 hours, single use); the old
// address is told at once. Only following the link changes `users.email` (and marks it verified) and, like a
// password change, signs every other browser out; the old address is told again then, with a "This wasn't me" link
// (kind `revert-email-change`, 7 days, single use; lib/user-settings/email-change-undo.ts). A newer request replaces
// the user's unused links.

/** The "Change email" form: the new address (normalised) and the current password. */
export const changeEmailSchema = z.object({
  newEmail: emailField,
  currentPassword: z.string().min(1, "Enter your current password.").max(256),
});

export type RequestEmailChangeResult =
  { ok: true; mails: { confirm: Mail; notice: Mail } } | { ok: false; field: "newEmail" | "currentPassword"; message: string };

/**
 * Starts an email change for the signed-in user: `newEmail` (already normalised) must differ from the current one
 * and belong to no user; the current password must match (rate-limited). Issues the link token, replacing unused
 * ones, and records `email.change-requested` `{ from, to }` in one transaction. Returns the two mails to send: the
 * link to the new address and the notice to the old one.
 */
export async function requestEmailChange(params: {
  user: { id: number; email: string; passwordHash: string };
  newEmail: string;
  currentPassword: string;
  request: RequestInfo;
  now?: Date;
}): Promise<RequestEmailChangeResult> {
  const { user, newEmail } = params;
  if (newEmail === user.email) return { ok: false, field: "newEmail", message: "That is already your email address." };
  const check = await checkCurrentPassword({ user, password: params.currentPassword, request: params.request, purpose: "email.change" });
  if (!check.ok) return { ok: false, field: "currentPassword", message: check.message };
  const now = params.now ?? new Date();
  const token = newLinkToken();
  const taken = await writeTransaction(async (tx) => {
    if (await first(tx.select({ id: users.id }).from(users).where(eq(users.email, newEmail)))) return true;
    await tx
      .delete(emailTokens)
      .where(and(eq(emailTokens.userId, user.id), eq(emailTokens.kind, "change-email"), isNull(emailTokens.usedAt)));
    await tx.insert(emailTokens).values({
      userId: user.id,
      kind: "change-email",
      email: newEmail,
      tokenHash: hashToken(token),
      expiresAt: new Date(now.getTime() + CHANGE_EMAIL_TTL_HOURS * 3600_000),
    });
    await recordSecurityEvent(tx, {
      userId: user.id,
      kind: "email.change-requested",
      ...params.request,
      data: { from: user.email, to: newEmail },
      at: now,
    });
    return false;
  });
  if (taken) return { ok: false, field: "newEmail", message: "Another user already has this email address." };
  return {
    ok: true,
    mails: {
      confirm: changeEmailConfirmMail({ to: newEmail, from: user.email, token }),
      notice: emailChangeRequestedMail({ to: user.email, newEmail }),
    },
  };
}

/**
 * What an email change link is worth: `valid` (with the current and new address), or why not — `unknown` (never
 * issued, replaced by a newer request, or its user deleted), `used` (with the login and the address it set, so the
 * page can tell that login "changed"), `expired`, `taken` (another user has the new address by now), `same` (the
 * login already has that address).
 */
export type EmailChangeCheck =
  | { status: "valid"; userId: number; from: string; to: string }
  | { status: "unknown" | "expired" }
  | { status: "used"; userId: number; to: string }
  | { status: "taken" | "same"; to: string };

type Reader = Pick<Db, "select">;

async function check(db: Reader, token: string, now: Date): Promise<EmailChangeCheck & { tokenId?: number }> {
  if (token.length === 0 || token.length > 200) return { status: "unknown" };
  const row = await first(
    db
      .select({
        id: emailTokens.id,
        to: emailTokens.email,
        usedAt: emailTokens.usedAt,
        expiresAt: emailTokens.expiresAt,
        userId: users.id,
        from: users.email,
      })
      .from(emailTokens)
      .innerJoin(users, eq(users.id, emailTokens.userId))
      .where(and(eq(emailTokens.tokenHash, hashToken(token)), eq(emailTokens.kind, "change-email"))),
  );
  if (!row) return { status: "unknown" };
  if (row.usedAt) return { status: "used", userId: row.userId, to: row.to };
  if (row.expiresAt.getTime() <= now.getTime()) return { status: "expired" };
  if (row.from === row.to) return { status: "same", to: row.to };
  if (
    await first(
      db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.email, row.to), ne(users.id, row.userId))),
    )
  ) {
    return { status: "taken", to: row.to };
  }
  return { status: "valid", userId: row.userId, from: row.from, to: row.to, tokenId: row.id };
}

/** Looks an email change link up without using it (the confirmation page shows both addresses for `valid`). */
export async function checkEmailChangeToken(token: string, now = new Date()): Promise<EmailChangeCheck> {
  const result = await check(getDb(), token, now);
  delete result.tokenId;
  return result;
}

/** What confirming an email change did: the check, and for `valid` the notice for the old address and the sessions. */
export type EmailChangeResult = EmailChangeCheck & {
  /** The notice to the old address, with its "This wasn't me" link. */
  notice?: Mail;
  /** How many other sessions were signed out. */
  revoked?: number;
  /** The confirming browser's new session key (re-issue its token with it), null when it was not kept. */
  sessionKey?: string | null;
};

/**
 * Follows an email change link: in one BEGIN IMMEDIATE transaction re-checks the token and that no other user has
 * the new address (users.email is unique), sets `users.email` to it with `email_verified_at = now` (the link proved
 * the mailbox), uses the token, drops the user's other unused links, signs every session out except
 * `keepSessionKey` (the confirming browser, when it is signed in as this user: it continues on a fresh key, as after
 * a password change, see `endSessionsInTx`), issues the "This wasn't me" link for the old address and records
 * `email.change` `{ from, to }` (with `revoked` when sessions ended). Returns the check; for `valid`, also the notice
 * to send to the old address and the kept browser's new session key.
 */
export async function confirmEmailChange(params: {
  token: string;
  keepSessionKey?: string | null;
  request?: RequestInfo;
  now?: Date;
}): Promise<EmailChangeResult> {
  const now = params.now ?? new Date();
  const undoToken = newLinkToken();
  try {
    return await writeTransaction(async (tx): Promise<EmailChangeResult> => {
      const found = await check(tx, params.token, now);
      if (found.status !== "valid") return found;
      const { tokenId, ...result } = found;
      await tx.update(users).set({ email: found.to, emailVerifiedAt: now }).where(eq(users.id, found.userId));
      await tx.update(emailTokens).set({ usedAt: now }).where(eq(emailTokens.id, tokenId!));
      await tx
        .delete(emailTokens)
        .where(and(eq(emailTokens.userId, found.userId), eq(emailTokens.kind, "change-email"), isNull(emailTokens.usedAt)));
      const ended = await endSessionsInTx(tx, { userId: found.userId, keepSessionKey: params.keepSessionKey, now });
      await tx.insert(emailTokens).values({
        userId: found.userId,
        kind: "revert-email-change",
        email: found.from,
        tokenHash: hashToken(undoToken),
        expiresAt: new Date(now.getTime() + REVERT_EMAIL_CHANGE_TTL_DAYS * 24 * 3600_000),
      });
      await recordSecurityEvent(tx, {
        userId: found.userId,
        kind: "email.change",
        ...params.request,
        data: { from: found.from, to: found.to, ...(ended.revoked > 0 ? { revoked: ended.revoked } : {}) },
        at: now,
      });
      return {
        ...result,
        notice: emailChangedMail({ to: found.from, newEmail: found.to, undoToken }),
        revoked: ended.revoked,
        sessionKey: ended.keptSessionKey,
      };
    });
  } catch (error) {
    // The unique index is the last word if another transaction took the address between check and update.
    if (isUniqueViolation(error, "users.email")) return { status: "taken", to: "" };
    throw error;
  }
}

/** The user's newest unused, unexpired email change link: the address it was sent to and when it expires, or null. */
export async function pendingEmailChange(params: { userId: number; now?: Date }): Promise<{ email: string; expiresAt: Date } | null> {
  const now = params.now ?? new Date();
  const row = await first(
    getDb()
      .select({ email: emailTokens.email, expiresAt: emailTokens.expiresAt })
      .from(emailTokens)
      .where(and(eq(emailTokens.userId, params.userId), eq(emailTokens.kind, "change-email"), isNull(emailTokens.usedAt)))
      .orderBy(desc(emailTokens.id)),
  );
  return row && row.expiresAt.getTime() > now.getTime() ? row : null;
}
