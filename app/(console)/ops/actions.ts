"use server";

import { z } from "zod";
import { lookupOperator } from "@/lib/ops/access";
import { OPS_VERIFY_CHUNK, verifyDomainsAsOperator, type OpsVerifyResult } from "@/lib/ops/verify";

export type OpsVerifyState = { ok: true; results: OpsVerifyResult[] } | { ok: false; error: string };

const verifySchema = z.object({
  domainIds: z.array(z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER)).min(1).max(OPS_VERIFY_CHUNK),
});

/**
 * "Verify now" for up to 5 domains of any account, from the operator view (SPEC §3.5). Re-checks on every call that
 * the caller is an operator (verified email in OPERATOR_EMAILS, read from the database now); anyone else gets the
 * same "not found" answer as for a missing page. The page calls it chunk by chunk to show progress.
 */
export async function verifyDomainsAction(input: { domainIds: unknown }): Promise<OpsVerifyState> {
  const operator = await lookupOperator();
  if (!operator) return { ok: false, error: "Not found: it does not exist or you do not have access to it." };
  const parsed = verifySchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: `Send between 1 and ${OPS_VERIFY_CHUNK} domain ids per call.` };
  try {
    const results = await verifyDomainsAsOperator({ operator, domainIds: parsed.data.domainIds });
    return { ok: true, results };
  } catch (error) {
    console.error("ops verify failed", { operatorId: operator.id, domainIds: parsed.data.domainIds }, error);
    return { ok: false, error: "Something went wrong on our side. Try again in a moment." };
  }
}
