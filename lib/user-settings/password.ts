import { eq } from "drizzle-orm";
import { z } from "zod";
import { writeTransaction, first } from "@/db";
import { users } from "@/db/schema";
import { newPasswordField } from "@/lib/auth/email";
import { hashPassword } from "@/lib/auth/password";
import { endSessionsInTx } from "@/lib/auth/sessions";
import { recordSecurityEvent } from "@/lib/security-log/record";
import type { RequestInfo } from "@/lib/security-log/request-info";
import { checkCurrentPassword } from "./reauth";

/** The "Change password" form: current password, the new one (8–256 characters) twice. */
export const changePasswordSchema = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password.").max(256),
    newPassword: newPasswordField,
    confirmPassword: z.string(),
  })
  .refine((v) => v.newPassword === v.confirmPassword, { path: ["confirmPassword"], message: "The two new passwords differ." });

export type ChangePasswordResult =
  /** `sessionKey`: the kept browser's new session key (re-issue its token with it), null when none was kept. */
  { ok: true; revoked: number; sessionKey: string | null } | { ok: false; field: "currentPassword" | "newPassword"; message: string };

/**
 * Changes the signed-in user's password (docs/product.md §3.1): the current password must match (rate-limited, see
 * `checkCurrentPassword`); the new one is hashed with argon2id; then, in one transaction, the hash is stored, the
 * session version bumped and every session except `keepSessionKey` revoked (other browsers are signed out), and
 * `password.change` recorded. The caller re-issues the kept browser's token with the returned `sessionKey`.
 */
export async function changePassword(params: {
  user: { id: number; email: string; passwordHash: string };
  currentPassword: string;
  newPassword: string;
  keepSessionKey: string | null;
  request: RequestInfo;
  now?: Date;
}): Promise<ChangePasswordResult> {
  const check = await checkCurrentPassword({
    user: params.user,
    password: params.currentPassword,
    request: params.request,
    purpose: "password.change",
  });
  if (!check.ok) return { ok: false, field: "currentPassword", message: check.message };
  if (params.newPassword === params.currentPassword) {
    return { ok: false, field: "newPassword", message: "Choose a password different from the current one." };
  }
  const passwordHash = await hashPassword(params.newPassword);
  const now = params.now ?? new Date();
  return writeTransaction(async (tx): Promise<ChangePasswordResult> => {
    // The hash checked above must still be the stored one: a concurrent change or reset wins, this one is refused.
    const row = await first(tx.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, params.user.id)));
    if (!row || row.passwordHash !== params.user.passwordHash) {
      return { ok: false, field: "currentPassword", message: "Your password was changed meanwhile. Reload the page and try again." };
    }
    await tx.update(users).set({ passwordHash }).where(eq(users.id, params.user.id));
    const ended = await endSessionsInTx(tx, { userId: params.user.id, keepSessionKey: params.keepSessionKey, now });
    await recordSecurityEvent(tx, {
      userId: params.user.id,
      kind: "password.change",
      ...params.request,
      data: { revoked: ended.revoked },
      at: now,
    });
    return { ok: true, revoked: ended.revoked, sessionKey: ended.keptSessionKey };
  });
}
