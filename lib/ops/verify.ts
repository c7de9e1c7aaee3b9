import { inArray } from "drizzle-orm";
import { getDb } from "@/db";
import { domains, type DomainStatus } from "@/db/schema";
import { checkDomains } from "@/lib/dns/go-live";
import type { Resolver } from "@/lib/dns/resolver";
import { recordOperatorEvent } from "./events";
import { log } from "@/lib/log";

/** Domains one bulk "Verify now" call may check (the page sends its selection in chunks of this size or less). */
export const OPS_VERIFY_CHUNK = 5;

/**
 * What happened to one domain of a bulk "Verify now": `checked` (with the status before and after; `dnsError` when
 * the check itself failed transiently), `too-soon` (a "Verify now" — from /ops, the page or the API — ran less than
 * 10 s ago, docs/product.md §3.5; `waitSeconds` left; background checks do not count), `in-progress` (another check
 * holds it), `not-found` (deleted meanwhile), or `failed` (unexpected; logged).
 */
export type OpsVerifyResult =
  | {
      id: number;
      hostname: string;
      result: "checked";
      status: DomainStatus;
      previousStatus: DomainStatus;
      flagged: boolean;
      dnsError: boolean;
    }
  | { id: number; hostname: string; result: "too-soon"; status: DomainStatus; waitSeconds: number }
  | { id: number; hostname: string | null; result: "in-progress" | "not-found" | "failed" };

/**
 * Runs "Verify now" for domains of any account on behalf of an operator (docs/product.md §3.5 operator view): each
 * domain is checked through `checkDomain` as a "Verify now" (its lease and per-domain 10 s limit apply, as for members), at most
 * `OPS_VERIFY_CHUNK` at once, and the call is recorded in the operator log (`ops.verify`) with every result.
 * The caller must have checked that `operator` is an operator. Results are in the order of `domainIds`.
 */
export async function verifyDomainsAsOperator(params: {
  operator: { id: number; email: string };
  domainIds: number[];
  now?: Date;
  resolver?: Resolver;
}): Promise<OpsVerifyResult[]> {
  const now = params.now ?? new Date();
  const ids = [...new Set(params.domainIds)];
  const rows = ids.length ? await getDb().select().from(domains).where(inArray(domains.id, ids)) : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const found = ids.filter((id) => byId.has(id));
  const checks = await checkDomains(found, { concurrency: OPS_VERIFY_CHUNK, now, resolver: params.resolver, verifyNow: true });
  const checked = new Map(found.map((id, i) => [id, checks[i]]));
  const results = ids.map((id): OpsVerifyResult => {
    const row = byId.get(id);
    const outcome = checked.get(id);
    if (!row || !outcome) return { id, hostname: null, result: "not-found" };
    if (outcome.skipped === "too-soon") {
      const waitSeconds = Math.ceil((outcome.retryAt.getTime() - now.getTime()) / 1000);
      return { id, hostname: row.hostname, result: "too-soon", status: outcome.status, waitSeconds };
    }
    if (outcome.skipped === "failed") {
      log.error(`[ops] verify of domain #${id} failed: ${outcome.error}`);
      return { id, hostname: row.hostname, result: "failed" };
    }
    if (outcome.skipped) return { id, hostname: row.hostname, result: outcome.skipped === "not-found" ? "not-found" : "in-progress" };
    return {
      id,
      hostname: row.hostname,
      result: "checked",
      status: outcome.status,
      previousStatus: outcome.previousStatus,
      flagged: outcome.status !== "live" && (outcome.flaggedNow || row.flagged),
      dnsError: outcome.check.outcome === "error",
    };
  });
  await recordOperatorEvent({
    operator: params.operator,
    action: "ops.verify",
    data: {
      domains: results.map((r) => ({ id: r.id, hostname: r.hostname, result: r.result, ...("status" in r ? { status: r.status } : {}) })),
    },
    at: now,
  });
  return results;
}
