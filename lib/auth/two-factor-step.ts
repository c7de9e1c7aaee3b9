import { CredentialsSignin } from "next-auth";
import { requestInfo } from "@/lib/security-log/request-info";
import { refusedCodeMessage, verifySignInCode } from "@/lib/two-factor/sign-in";

// The second step of signing in, as `authorize` (lib/auth/auth.ts) runs it once the password was right.

type HeaderSource = { get(name: string): string | null };

/**
 * The password was right and the user has two-factor authentication on, but no code was sent: the login form
 * asks for one (nothing is signed in). Only thrown after a right password, so it reveals nothing to a guesser.
 */
export class TwoFactorRequired extends CredentialsSignin {
  code = "two_factor_required";
}

/** The password was right but the code was wrong, already used, or the two-factor limit refused it (`userMessage`). */
export class TwoFactorRefused extends CredentialsSignin {
  code = "two_factor_refused";
  constructor(
    readonly userMessage: string,
    readonly rateLimited: boolean,
  ) {
    super(userMessage);
  }
}

/**
 * For `authorize`: passes when the user has no two-factor authentication, or when `code` (a TOTP code or a
 * recovery code) is accepted by lib/two-factor `verifySignInCode` (rate-limited, logged). Throws `TwoFactorRequired`
 * without a code and `TwoFactorRefused` for a refused one, so a right password alone never signs in.
 */
export async function requireSecondFactor(
  user: { id: number; email: string; totpEnabledAt: Date | null },
  code: string | undefined,
  headers: HeaderSource,
): Promise<void> {
  if (!user.totpEnabledAt) return;
  if (!code?.trim()) throw new TwoFactorRequired();
  const result = await verifySignInCode({ user, code, context: requestInfo(headers) });
  if (!result.ok) {
    const rateLimited = result.code === "rate_limited";
    throw new TwoFactorRefused(rateLimited ? result.message : refusedCodeMessage(code), rateLimited);
  }
}
