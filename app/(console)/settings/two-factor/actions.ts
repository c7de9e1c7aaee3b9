"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { z } from "zod";
import { userAction, type Refusal } from "@/lib/actions";
import { requestInfo } from "@/lib/security-log/request-info";
import { cancelEnrolment, confirmEnrolment, disableTwoFactor, regenerateRecoveryCodes, startEnrolment } from "@/lib/two-factor/enrolment";
import type { CodeFailure } from "@/lib/two-factor/codes";

// /settings/two-factor (docs/product.md §3.1): every action acts on the signed-in user only; codes are checked and
// rate-limited by lib/two-factor, which also writes the security log.

const PATH = "/settings/two-factor";

/** What a two-factor form shows after a submit: an error (for the form or the code field), or new recovery codes once. */
export type TwoFactorFormState = {
  error?: string;
  fieldErrors?: { code?: string };
  /** New recovery codes in clear: in this answer only, never stored or shown again. */
  recoveryCodes?: string[];
  done?: boolean;
  at?: number;
};

function failed(result: CodeFailure): TwoFactorFormState {
  return result.code === "invalid" ? { fieldErrors: { code: result.message }, at: Date.now() } : { error: result.message, at: Date.now() };
}

const refused = (refusal: Refusal): TwoFactorFormState => ({ error: refusal.message, at: Date.now() });

/** The typed code (trimmed, at most 64 characters); empty gets the field message before anything is checked. */
const codeSchema = z.object({
  code: z
    .string()
    .default("")
    .transform((code) => code.trim().slice(0, 64)),
});
const noCode = (): TwoFactorFormState => ({ fieldErrors: { code: "Enter the code from your authenticator app." }, at: Date.now() });

/** Starts an enrolment (a new secret, not yet on); the page then shows its QR code and key. */
export const startEnrolmentAction = userAction({
  name: "start two-factor enrolment",
  schema: z.object({}),
  fail: refused,
  run: async ({ user }): Promise<TwoFactorFormState> => {
    const result = await startEnrolment({ userId: user.id });
    if (!result.ok) return { error: result.message, at: Date.now() };
    revalidatePath(PATH);
    return {};
  },
});

/** Forgets an enrolment that was not confirmed. */
export const cancelEnrolmentAction = userAction({
  name: "cancel two-factor enrolment",
  schema: z.object({}),
  fail: refused,
  run: async ({ user }): Promise<TwoFactorFormState> => {
    await cancelEnrolment({ userId: user.id });
    revalidatePath(PATH);
    return {};
  },
});

/**
 * Confirms the enrolment with a first code and answers the ten recovery codes once. The page is not refreshed here,
 * so the codes stay on screen until the user presses "Done".
 */
export const confirmEnrolmentAction = userAction({
  name: "confirm two-factor enrolment",
  schema: codeSchema,
  fail: refused,
  run: async ({ input: { code }, user }): Promise<TwoFactorFormState> => {
    if (!code) return noCode();
    const result = await confirmEnrolment({ user, code, context: requestInfo(await headers()) });
    return result.ok ? { recoveryCodes: result.recoveryCodes, at: Date.now() } : failed(result);
  },
});

/** Replaces the recovery codes after a fresh code; answers the new ones once. */
export const regenerateRecoveryCodesAction = userAction({
  name: "regenerate recovery codes",
  schema: codeSchema,
  fail: refused,
  run: async ({ input: { code }, user }): Promise<TwoFactorFormState> => {
    if (!code) return noCode();
    const result = await regenerateRecoveryCodes({ user, code, context: requestInfo(await headers()) });
    return result.ok ? { recoveryCodes: result.recoveryCodes, at: Date.now() } : failed(result);
  },
});

/** Turns two-factor authentication off after a fresh code (TOTP or a recovery code). */
export const disableTwoFactorAction = userAction({
  name: "disable two-factor",
  schema: codeSchema,
  fail: refused,
  run: async ({ input: { code }, user }): Promise<TwoFactorFormState> => {
    if (!code) return noCode();
    const result = await disableTwoFactor({ user, code, context: requestInfo(await headers()) });
    if (!result.ok) return failed(result);
    revalidatePath("/", "layout");
    return { done: true, at: Date.now() };
  },
});
