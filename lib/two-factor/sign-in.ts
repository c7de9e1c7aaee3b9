import { and, eq, gt } from "drizzle-orm";
import { writeTransaction, first } from "@/db";
import { securityEvents } from "@/db/schema";
import { recordSecurityEvent } from "@/lib/security-log/record";
import {
  acceptCode,
  cleanCode,
  limitedCodeCheck,
  unusedRecoveryCodes,
  type CodeFailure,
  type CodeKind,
  type RequestContext,
} from "./codes";
import { looksLikeRecoveryCode } from "./recovery-codes";

// The second step of signing in (docs/product.md §3.1): after the password was right, a TOTP code or a recovery code.

/** An accepted second factor: which kind, and for a recovery code how many are left. */
export type SignInCodeAccepted = { ok: true; kind: CodeKind; recoveryCodesLeft?: number };

/**
 * Checks the second factor of a sign-in for a user whose password was already verified: a 6-digit TOTP code (±1
 * step, each step accepted once) or an unused recovery code (then marked used). Rate-limited per IP and per user
 * (`two-factor` kind; only wrong codes count). Records `signin.two-factor-failure` for a wrong code,
 * `signin.rate-limited` (data `{ step: "two-factor" }`, at most once a minute) when the limit refuses, and `signin.recovery-code` (with the
 * codes left) when a recovery code was used; a successful TOTP sign-in is recorded by the caller as any sign-in.
 */
export async function verifySignInCode(params: {
  user: { id: number; email: string };
  code: string;
  context: RequestContext;
}): Promise<SignInCodeAccepted | CodeFailure> {
  const { user, context } = params;
  const event = { userId: user.id, ip: context.ip, userAgent: context.userAgent };
  const result = await limitedCodeCheck<SignInCodeAccepted>({ email: user.email, ip: context.ip }, () =>
    writeTransaction(async (tx) => {
      const kind = await acceptCode(tx, user.id, params.code, { allowRecovery: true });
      if (!kind) {
        await recordSecurityEvent(tx, { ...event, kind: "signin.two-factor-failure" });
        return { ok: false as const, code: "invalid" as const, message: "That code is not valid." };
      }
      if (kind === "totp") return { ok: true as const, kind };
      const recoveryCodesLeft = await unusedRecoveryCodes(tx, user.id);
      await recordSecurityEvent(tx, { ...event, kind: "signin.recovery-code", data: { recoveryCodesLeft } });
      return { ok: true as const, kind, recoveryCodesLeft };
    }),
  );
  if (!result.ok && result.code === "rate_limited") {
    // At most one row a minute, so a flood of refused codes cannot fill the log.
    await writeTransaction(async (tx) => {
      const since = new Date(Date.now() - 60_000);
      const recent = await first(
        tx
          .select({ id: securityEvents.id })
          .from(securityEvents)
          .where(
            and(eq(securityEvents.userId, user.id), eq(securityEvents.kind, "signin.rate-limited"), gt(securityEvents.createdAt, since)),
          ),
      );
      if (!recent) await recordSecurityEvent(tx, { ...event, kind: "signin.rate-limited", data: { step: "two-factor" } });
    });
  }
  return result;
}

/**
 * What the login form says about a refused second factor, by what was typed: a 6-digit code is an authenticator
 * code, a 10-character one (any case, dashes and spaces ignored) a recovery code, anything else either.
 */
export function refusedCodeMessage(code: string): string {
  if (/^\d{6}$/.test(cleanCode(code))) return "That code is not valid. Check your authenticator app and try again.";
  if (looksLikeRecoveryCode(code)) return "That recovery code is not valid or was already used.";
  return "That code is not valid. Enter the 6-digit code from your authenticator app, or one of your recovery codes.";
}
