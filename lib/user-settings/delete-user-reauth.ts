import { consumeRateLimit, refundRateLimit } from "@/lib/rate-limit";
import type { RequestInfo } from "@/lib/security-log/request-info";
import { acceptCode } from "@/lib/two-factor/codes";
import { deleteOwnUser, type DeleteUserResult } from "./delete-user";
import { checkCurrentPassword } from "./reauth";

// Deleting one's own user from the settings page (docs/product.md §3.1): re-authentication around `deleteOwnUser`. Kept apart
// from ./delete-user so that file stays free of server-only imports (a tsx worker of its race test loads it).

const WRONG_CODE = "That code is not valid. Enter the current code from your authenticator app, or an unused recovery code.";

/**
 * "Delete my user" as the settings page submits it (docs/product.md §3.1): the typed email must match, the current password must
 * be right (`checkCurrentPassword`: `reauth` rate limit, a wrong one is logged as `reauth.failure`), and with
 * two-factor authentication on a fresh code is needed, under the shared `two-factor` rate limit (only a refused code
 * uses it up). Then `deleteOwnUser` runs. Refusals name their field; nothing is deleted.
 */
export async function deleteOwnUserAfterReauth(params: {
  user: { id: number; email: string; passwordHash: string; totpEnabledAt: Date | null };
  confirmation: string;
  currentPassword: string;
  twoFactorCode: string;
  request: RequestInfo;
}): Promise<DeleteUserResult> {
  const { user } = params;
  if (params.confirmation.trim().toLowerCase() !== user.email) {
    return { ok: false, code: "confirmation", message: `Type your email address, ${user.email}, to confirm.` };
  }
  const check = await checkCurrentPassword({ user, password: params.currentPassword, request: params.request, purpose: "user.delete" });
  if (!check.ok) return { ok: false, code: "reauth", field: "currentPassword", message: check.message };
  if (!user.totpEnabledAt) return deleteOwnUser({ userId: user.id, confirmation: params.confirmation });
  const code = params.twoFactorCode.trim();
  if (!code)
    return { ok: false, code: "reauth", field: "code", message: "Enter the code from your authenticator app, or an unused recovery code." };
  const keys = { email: user.email, ip: params.request.ip };
  const limit = await consumeRateLimit("two-factor", keys);
  if (!limit.ok) return { ok: false, code: "reauth", field: "code", message: limit.message };
  const result = await deleteOwnUser({
    userId: user.id,
    confirmation: params.confirmation,
    secondFactor: {
      accept: async (tx, userId) => (await acceptCode(tx, userId, code, { allowRecovery: true })) !== null,
      codeMessage: WRONG_CODE,
    },
  });
  if (result.ok || result.code !== "reauth") await refundRateLimit("two-factor", keys);
  return result;
}
