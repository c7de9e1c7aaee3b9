"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { accountAction, NOT_FOUND_MESSAGE } from "@/lib/actions";
import { domainResource } from "@/lib/actions/resources";
import { checkDomain } from "@/lib/dns/go-live";
import { statusLabel } from "@/components/ui/status-badge";

export type VerifyState = { message?: string; tone?: "error" | "info" | "success"; at?: number };

// Built before the call: a loader made inline would leave the resource's type to inference and come out `unknown`.
const verifiedDomain = domainResource((input: { domainId: string }) => input.domainId);

/**
 * "Verify now": runs the go-live check of one domain (docs/product.md §3.5) for a member who may verify
 * (`domain.verify`); the account is derived from the domain row, a non-member gets "not found" and nothing runs.
 * One "Verify now" per domain per 10 s (from this page, the API or /ops); a background check just before does not
 * count, so the click runs the check. A click inside the 10 s says when the last check ran and when to try again.
 */
export const verifyDomainAction = accountAction({
  name: "verify domain",
  schema: z.object({ domainId: z.string().default("") }),
  resource: verifiedDomain,
  permission: "domain.verify",
  what: "verify domains",
  fail: (refusal): VerifyState => ({ tone: "error", message: refusal.message, at: Date.now() }),
  run: async ({ resource: { domain, application, environment } }): Promise<VerifyState> => {
    const now = new Date();
    const result = await checkDomain(domain.id, { now, verifyNow: true });
    if (result.skipped === "too-soon") {
      const ago = Math.max(0, Math.floor((now.getTime() - result.lastCheckedAt.getTime()) / 1000));
      const wait = Math.max(1, Math.ceil((result.retryAt.getTime() - now.getTime()) / 1000));
      return {
        tone: "info",
        message: `Checked ${ago < 1 ? "just now" : `${ago} s ago`} (${statusLabel(result.status)}). You can verify again in ${wait} s.`,
        at: Date.now(),
      };
    }
    if (result.skipped === "not-found") return { tone: "error", message: NOT_FOUND_MESSAGE, at: Date.now() }; // removed meanwhile
    if (result.skipped) return { tone: "info", message: "A check of this domain is already running.", at: Date.now() };
    revalidatePath(`/account/${application.accountId}/application/${application.id}`);
    revalidatePath(`/account/${application.accountId}/application/${application.id}/environment/${environment.name}`);
    if (result.check.outcome === "error") {
      const kept = result.status === "error" ? "it is retried automatically" : `the status stays ${statusLabel(result.status)}`;
      return { tone: "error", message: `The check failed (DNS error); ${kept}.`, at: Date.now() };
    }
    return { tone: result.status === "live" ? "success" : "info", message: `Checked: ${statusLabel(result.status)}.`, at: Date.now() };
  },
});
