"use server";

import { headers } from "next/headers";
import { z } from "zod";
import { publicAction, type Refusal } from "@/lib/actions";
import { requestInfo } from "@/lib/security-log/request-info";
import { undoEmailChange, type EmailChangeUndoCheck } from "@/lib/user-settings/email-change-undo";

/** The outcome of pressing "Restore my old address" on a "This wasn't me" link (nothing before the first submit). */
export type UndoEmailChangeState = {
  result?: Exclude<EmailChangeUndoCheck, { status: "valid" }> | { status: "valid"; restore: string };
  /** A refusal that is not about the link (an unreadable form, a failure on our side). */
  error?: string;
};

/**
 * Follows a "This wasn't me" link (docs/product.md §3.1): the token, mailed to the old address, is the proof, so it
 * needs no session. It makes the old address the login's email again and signs the login out everywhere (this
 * browser too); the security log records `email.change-reverted`.
 */
export const undoEmailChangeAction = publicAction({
  name: "undo email change",
  schema: z.object({ token: z.string().max(200) }),
  fail: (refusal: Refusal): UndoEmailChangeState => ({ error: refusal.message }),
  run: async ({ input: { token } }): Promise<UndoEmailChangeState> => {
    const result = await undoEmailChange({ token, request: requestInfo(await headers()) });
    return result.status === "valid" ? { result: { status: "valid", restore: result.restore } } : { result };
  },
});
