import { writeTransaction } from "@/db";
import {
  claimDomains,
  leaseMs,
  observeClaim,
  lockDomainRows,
  releaseClaim,
  storeChecks,
  type BatchCheckResult,
  type DomainClaim,
  type ObservedCheck,
} from "./go-live";
import { createResolver, type Resolver } from "./resolver";
import { countGoLiveCheck } from "@/lib/metrics";

// Go-live checks of many domains for background sweeps (docs/product.md §3.5), with the same guarantees as `checkDomain` — each
// domain is claimed by lease in a write transaction before it is observed, and stored with the effects of `storeCheck` — but
// with one transaction per batch instead of two per domain: domains are claimed a batch at a time by one statement
// (`claimDomains`: FOR UPDATE SKIP LOCKED on PostgreSQL), just before they are needed, resolved with bounded
// concurrency, and their results written a batch at a time (`storeChecks`: set-based on PostgreSQL).

/** Results written per transaction (default); also the most domains claimed per transaction. */
export const CHECK_BATCH_SIZE = 500;
/** A partial batch of results is written once its oldest result has waited this long (ms). */
const FLUSH_AFTER_MS = 250;

type Done = { index: number; claim: DomainClaim; observed: ObservedCheck } | { index: number; claim: DomainClaim; error: unknown };

/**
 * Checks `ids` like `checkDomains` (results in the order of `ids`: a check, a skip, or `{ skipped: "failed", error }`)
 * but batched: claims up to 2 × `concurrency` (default 32) domains per transaction (at most `batchSize`) as the
 * resolvers run out of work, each lease lasting `leaseMs()` from its claim; observes through `resolver` (default:
 * from the settings); and stores results in one transaction per `batchSize` (default 500) results (or after 250 ms,
 * and at the end).
 * `now` (default: the current time) is the check time of every result; `dueOnly` skips domains not due at `now`.
 * A failed observation releases its lease; a failed write transaction reports its whole batch as failed (their
 * leases then run out). Never rejects for a single domain's failure.
 */
export async function checkDomainsInBatches(
  ids: number[],
  options: { resolver?: Resolver; now?: Date; dueOnly?: boolean; concurrency?: number; batchSize?: number } = {},
): Promise<BatchCheckResult[]> {
  const now = options.now ?? new Date();
  const resolver = options.resolver ?? createResolver();
  const batchSize = Math.max(1, options.batchSize ?? CHECK_BATCH_SIZE);
  const results: BatchCheckResult[] = new Array(ids.length);
  const started = performance.now();
  const queue: { index: number; claim: DomainClaim }[] = [];
  let claimed = 0;
  let done: Done[] = [];
  let oldestDone = 0;

  const workers = Math.max(1, Math.min(options.concurrency ?? 32, ids.length));
  // Claim no more than three rounds of work ahead (a claim of two rounds, started while up to one round is still
  // queued), so a claimed domain never waits in the queue long enough for its lease (leaseMs: ten slow checks and
  // 30 s) to run out, even when every query times out.
  const claimSize = Math.min(batchSize, 2 * workers);
  let claiming: Promise<void> | null = null;
  const claimNext = async () => {
    const from = claimed;
    claimed = Math.min(ids.length, claimed + claimSize);
    // The lease runs from the moment of the claim, so domains claimed late in a long sweep are held as long.
    const leaseUntil = new Date(now.getTime() + (performance.now() - started) + leaseMs());
    const to = claimed;
    try {
      // Queued only once committed: other workers run while the transaction awaits its statements.
      // One UPDATE … SKIP LOCKED: exclusive by itself, so READ COMMITTED on PostgreSQL.
      const claims = await writeTransaction(
        async () => {
          const held: { index: number; claim: DomainClaim }[] = [];
          const outcomes = await claimDomains(ids.slice(from, to), { now, leaseUntil, dueOnly: options.dueOnly });
          outcomes.forEach((claim, i) => {
            if ("skipped" in claim) results[from + i] = claim;
            else held.push({ index: from + i, claim });
          });
          return held;
        },
        { isolation: "read committed" },
      );
      queue.push(...claims);
    } catch (error) {
      // rolled back: nothing of this batch is ours
      for (let index = from; index < to; index++) results[index] = failed(error);
    }
  };

  const flush = async () => {
    const batch = done;
    done = [];
    if (batch.length === 0) return;
    try {
      // Every domain of the batch is ours by its lease (a lease is released only while it is still ours): READ
      // COMMITTED on PostgreSQL, where two checkers storing disjoint domains would otherwise abort each other.
      const stored = await writeTransaction(
        async () => {
          // Every row the flush writes, locked at once in id order before any write (lock order: lockDomainRows).
          await lockDomainRows(batch.map((item) => item.claim.domain.id));
          const written: BatchCheckResult[] = new Array(batch.length);
          const observed: { at: number; claim: DomainClaim; observed: ObservedCheck }[] = [];
          for (const [at, item] of batch.entries()) {
            if ("error" in item) {
              await releaseClaim(item.claim);
              written[at] = failed(item.error);
            } else observed.push({ at, claim: item.claim, observed: item.observed });
          }
          // One store for the whole batch (set-based on PostgreSQL: a handful of statements, not six per check).
          (await storeChecks(observed, now)).forEach((result, i) => (written[observed[i].at] = result));
          return written;
        },
        { isolation: "read committed" },
      );
      batch.forEach((item, i) => (results[item.index] = stored[i]));
      for (const r of stored) if (!r.skipped || r.skipped === "failed") countGoLiveCheck(r.skipped ? "failed" : r.classification.outcome);
    } catch (error) {
      for (const item of batch) results[item.index] = failed(error);
      countGoLiveCheck("failed", batch.length);
      // Give the batch's leases back (each only while still ours), so "Verify now" of its domains need not wait for
      // them to expire; if even that fails, they expire.
      await writeTransaction(
        async () => {
          await lockDomainRows(batch.map((item) => item.claim.domain.id));
          for (const item of batch) await releaseClaim(item.claim);
        },
        { isolation: "read committed" },
      ).catch(() => undefined);
    }
  };

  const finish = async (item: Done) => {
    if (done.length === 0) oldestDone = performance.now();
    done.push(item);
    if (done.length >= batchSize || performance.now() - oldestDone >= FLUSH_AFTER_MS) await flush();
  };

  const worker = async () => {
    for (;;) {
      // A batch may hold only skips. One claim at a time: a worker that finds the queue empty waits for the claim in
      // flight (which may be the last one), or starts the next.
      while (queue.length === 0 && (claiming || claimed < ids.length)) await (claiming ??= claimNext().finally(() => (claiming = null)));
      const next = queue.shift();
      if (!next) return;
      // The next claim starts while a round of work is still queued, so the workers do not all wait for its round
      // trips to the database when the queue runs dry (PostgreSQL: a transaction of three statements).
      if (queue.length < workers && !claiming && claimed < ids.length) claiming = claimNext().finally(() => (claiming = null));
      let item: Done;
      try {
        item = { ...next, observed: await observeClaim(next.claim, resolver) };
      } catch (error) {
        item = { ...next, error };
      }
      await finish(item);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  await flush();
  for (let index = 0; index < ids.length; index++) results[index] ??= failed(new Error("not checked")); // never a hole
  return results;
}

/** A failed result naming the error, and the database's own message under a wrapping "Failed query" error. */
function failed(error: unknown): BatchCheckResult {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return { skipped: "failed", error: message + cause };
}
