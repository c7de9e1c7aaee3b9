"use server";

import { z } from "zod";
import { NOT_FOUND_MESSAGE, userAction } from "@/lib/actions";
import { lookupOperator } from "@/lib/ops/access";
import { OPS_VERIFY_CHUNK, verifyDomainsAsOperator, type OpsVerifyResult } from "@/lib/ops/verify";

export type OpsVerifyState = { ok: true; results: OpsVerifyResult[] } | { ok: false; error: string };

const BAD_LIST = `Send between 1 and ${OPS_VERIFY_CHUNK} domain ids per call.`;
const idList = z
  .string()
  .transform((list) => list.split(","))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[1-9][0-9]{0,15}$/)
          .transform(Number)
          .pipe(z.number().max(Number.MAX_SAFE_INTEGER)),
      )
      .min(1)
      .max(OPS_VERIFY_CHUNK),
  );

/**
 * "Verify now" for up to 5 domains of any account, from the operator view (docs/product.md §3.5): the form's
 * `domainIds` is a comma-separated list. Operators are not account members, so this is a user action that checks
 * on every call, before reading the list, that the caller is an operator (verified email in OPERATOR_EMAILS, read
 * from the database now); anyone else gets the same "not found" answer as for a missing page, and nothing is
 * checked. The page calls it chunk by chunk to show progress.
 */
export const verifyDomainsAction = userAction({
  name: "ops verify",
  schema: z.object({ domainIds: z.string().default("") }),
  fail: (refusal): OpsVerifyState => {
    if (refusal.kind === "invalid") return { ok: false, error: BAD_LIST };
    // Some domains may have been checked before the failure: do not say that nothing changed.
    if (refusal.kind === "unexpected") return { ok: false, error: "Something went wrong on our side. Try again in a moment." };
    return { ok: false, error: refusal.message };
  },
  run: async ({ input }): Promise<OpsVerifyState> => {
    const operator = await lookupOperator();
    if (!operator) return { ok: false, error: NOT_FOUND_MESSAGE };
    const domainIds = idList.safeParse(input.domainIds);
    if (!domainIds.success) return { ok: false, error: BAD_LIST };
    return { ok: true, results: await verifyDomainsAsOperator({ operator, domainIds: domainIds.data }) };
  },
});
