"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { accountAction, type Refusal, type ResourceLoader } from "@/lib/actions";
import { toId } from "@/lib/auth/access";
import { checkClaim, getClaim, withdrawClaim, type DomainClaimRow } from "@/lib/edge/claims";

// "Verify now" and "Withdraw" on a claim of a hostname another account holds (docs/product.md §3.5). The account is
// read from the claim row, never from the form.

const schema = z.object({ claimId: z.string().max(20).default("") });

/** The claim named by the form's `claimId`; a malformed id loads nothing, like a missing claim. */
const claimResource: ResourceLoader<z.output<typeof schema>, { claim: DomainClaimRow }> = async (input) => {
  const id = toId(input.claimId);
  const claim = id === null ? null : await getClaim(id);
  return claim ? { accountId: claim.accountId, value: { claim } } : null;
};

export type ClaimActionState = { message?: string; tone?: "error" | "info" | "success"; at?: number };

const refused = (r: Refusal): ClaimActionState => ({ message: r.message, tone: "error", at: Date.now() });

/**
 * "Verify now" on a claim, for a member with "domain.verify": looks up `TXT _edge-challenge.<hostname>` now (at
 * most once per 10 s per claim). When it holds the claim's token the hostname moves to this environment.
 */
export const verifyClaimAction = accountAction({
  name: "verify claim",
  schema,
  resource: claimResource,
  permission: "domain.verify",
  what: "verify domains",
  fail: refused,
  run: async ({ resource: { claim } }): Promise<ClaimActionState> => {
    const result = await checkClaim(claim.id, { verifyNow: true });
    revalidatePath(`/account/${claim.accountId}/application/${claim.applicationId}`, "layout");
    const at = Date.now();
    switch (result.result) {
      case "moved":
        return { message: `The proof was found: ${claim.hostnameUnicode} now belongs to this environment.`, tone: "success", at };
      case "waiting":
        return { message: result.message, tone: "info", at };
      case "too-soon":
        return { message: `Checked moments ago. Try again in ${result.waitSeconds} s.`, tone: "info", at };
      case "not-found":
        return { message: "This claim no longer exists.", tone: "error", at };
    }
  },
});

/** Withdraws a claim, for a member with "domain.manage" in the claim's account. */
export const withdrawClaimAction = accountAction({
  name: "withdraw claim",
  schema,
  resource: claimResource,
  permission: "domain.manage",
  what: "withdraw claims",
  fail: refused,
  run: async ({ actor, resource: { claim } }): Promise<ClaimActionState> => {
    const result = await withdrawClaim({ claimId: claim.id, actor });
    if (!result.ok) return { message: result.message, tone: "error", at: Date.now() };
    revalidatePath(`/account/${claim.accountId}/application/${claim.applicationId}`, "layout");
    return { message: `The claim on ${claim.hostnameUnicode} was withdrawn.`, tone: "success", at: Date.now() };
  },
});
