"use server";

import { revalidatePath } from "next/cache";
import { lookupDomain, toId } from "@/lib/auth/access";
import { requireUser } from "@/lib/auth/session";
import { canVerifyNow, checkDomain, VERIFY_NOW_INTERVAL_MS } from "@/lib/dns/go-live";
import { statusLabel } from "@/components/ui/status-badge";

export type VerifyState = { message?: string; tone?: "error" | "info" | "success"; at?: number };

/**
 * "Verify now": runs the go-live check of one domain (SPEC §3.5) for a member who may verify. The account is
 * derived from the domain row; a non-member gets "not found" and nothing runs. Limited to once per 10 s.
 */
export async function verifyDomainAction(_prev: VerifyState, form: FormData): Promise<VerifyState> {
  const user = await requireUser();
  const domainId = toId(form.get("domainId"));
  const found = domainId === null ? null : await lookupDomain(user, domainId, "domain.verify", "verify domains");
  if (!found || !found.ok)
    return { tone: "error", message: found?.message ?? "Not found: it does not exist or you do not have access to it.", at: Date.now() };
  const { domain, account, application, environment } = found.value;
  const now = new Date();
  if (!canVerifyNow(domain, now)) {
    const wait = Math.ceil((VERIFY_NOW_INTERVAL_MS - (now.getTime() - (domain.lastCheckedAt?.getTime() ?? 0))) / 1000);
    return { tone: "info", message: `Checked moments ago: you can verify again in ${wait} s.`, at: Date.now() };
  }
  const result = await checkDomain(domain.id, { now });
  if (result.skipped) return { tone: "info", message: "A check of this domain is already running.", at: Date.now() };
  revalidatePath(`/account/${account.id}/application/${application.id}`);
  revalidatePath(`/account/${account.id}/application/${application.id}/environment/${environment.name}`);
  if (result.check.outcome === "error") {
    const kept = result.status === "error" ? "it is retried automatically" : `the status stays ${statusLabel(result.status)}`;
    return { tone: "error", message: `The check failed (DNS error); ${kept}.`, at: Date.now() };
  }
  return { tone: result.status === "live" ? "success" : "info", message: `Checked: ${statusLabel(result.status)}.`, at: Date.now() };
}
