import { and, desc, eq, lt, sql } from "drizzle-orm";
import { dialect, getDb, type Db } from "@/db";
import { auditEvents, dnsChecks, domains } from "@/db/schema";

// The statements of a go-live check (claim, store, prune, audit), prepared once per database connection. Building
// and preparing a Drizzle query costs far more than running it; a sweep of thousands of domains runs each of these
// thousands of times inside a few transactions. They run on the connection of `getDb()`, so they take part in the
// `writeTransaction` the caller has open (better-sqlite3 transactions belong to the connection). On PostgreSQL each is
// a named prepared statement (node-postgres prepares a name once per pooled connection).

const ph = sql.placeholder;

type Params = Record<string, unknown>;
/** What the go-live code needs of a prepared statement, on both dialects: its first row, or just running it. */
type Portable<Row> = { get(params: Params): Promise<Row | undefined>; run(params: Params): Promise<void> };

/**
 * Prepares `query` (named `name` on PostgreSQL, which needs a name to reuse a plan) and wraps it: `get` answers the
 * first row of its result (a select, or an insert … returning), `run` runs it.
 */
function portable<Q extends PromiseLike<unknown> & { prepare(): { execute(params?: Params): unknown } }>(
  query: Q,
  name: string,
): Portable<Awaited<Q> extends (infer Row)[] ? Row : never> {
  const prepared =
    dialect() === "postgres" ? (query as unknown as { prepare(name: string): ReturnType<Q["prepare"]> }).prepare(name) : query.prepare();
  return {
    get: async (params) => {
      const result = await prepared.execute(params);
      return Array.isArray(result) ? result[0] : undefined;
    },
    run: async (params) => {
      await prepared.execute(params);
    },
  };
}

function prepare(db: Db) {
  return {
    /** The whole domain row. Params: `{ id }`. */
    domain: portable(
      db
        .select()
        .from(domains)
        .where(eq(domains.id, ph("id"))),
      "go_live_domain",
    ),
    /** Sets the lease. Params: `{ id, leaseUntil }` (ms). */
    lease: portable(
      db
        .update(domains)
        .set({ leaseUntil: sql`${ph("leaseUntil")}` })
        .where(eq(domains.id, ph("id"))),
      "go_live_lease",
    ),
    /** Clears the lease when it is still `lease` (ms). Params: `{ id, lease }`. */
    release: portable(
      db
        .update(domains)
        .set({ leaseUntil: null })
        .where(and(eq(domains.id, ph("id")), eq(domains.leaseUntil, sql`${ph("lease")}`))),
      "go_live_release",
    ),
    /** Stores one check. Params: the `dns_checks` columns (Dates and JSON as values). */
    insertCheck: portable(
      db
        .insert(dnsChecks)
        .values({
          domainId: ph("domainId"),
          checkedAt: ph("checkedAt"),
          outcome: ph("outcome"),
          status: ph("status"),
          reason: ph("reason"),
          records: ph("records"),
          resolver: ph("resolver"),
          durationMs: ph("durationMs"),
          errorCode: ph("errorCode"),
        })
        .returning(),
      "go_live_insertCheck",
    ),
    /**
     * The domain's state after a check. Params (ms for times): `{ id, status, now, success (0/1), flagged (0/1),
     * failureStreak, nextCheckAt, lease }`; `lastSuccessAt` moves only on success, the lease is cleared only if still `lease`.
     */
    updateAfterCheck: portable(
      db
        .update(domains)
        .set({
          status: sql`${ph("status")}`,
          lastCheckedAt: sql`${ph("now")}`,
          lastSuccessAt: sql`CASE WHEN ${ph("success")} = 1 THEN ${ph("now")} ELSE ${domains.lastSuccessAt} END`,
          flagged: sql`${ph("flagged")}`,
          failureStreak: sql`${ph("failureStreak")}`,
          nextCheckAt: sql`${ph("nextCheckAt")}`,
          leaseUntil: sql`CASE WHEN ${domains.leaseUntil} = ${ph("lease")} THEN NULL ELSE ${domains.leaseUntil} END`,
        })
        .where(eq(domains.id, ph("id"))),
      "go_live_updateAfterCheck",
    ),
    /** The domain's newest check (its time and records). Params: `{ domainId }`. */
    lastCheck: portable(
      db
        .select({ checkedAt: dnsChecks.checkedAt, records: dnsChecks.records })
        .from(dnsChecks)
        .where(eq(dnsChecks.domainId, ph("domainId")))
        .orderBy(desc(dnsChecks.checkedAt), desc(dnsChecks.id))
        .limit(1),
      "go_live_lastCheck",
    ),
    /** The id of the domain's `keep`-th newest check, if it has that many. Params: `{ domainId, offset }`. */
    cutoff: portable(
      db
        .select({ id: dnsChecks.id })
        .from(dnsChecks)
        .where(eq(dnsChecks.domainId, ph("domainId")))
        .orderBy(desc(dnsChecks.id))
        .limit(1)
        .offset(ph("offset")),
      "go_live_cutoff",
    ),
    /** Deletes the domain's checks older than `id`. Params: `{ domainId, id }`. */
    prune: portable(db.delete(dnsChecks).where(and(eq(dnsChecks.domainId, ph("domainId")), lt(dnsChecks.id, ph("id")))), "go_live_prune"),
    /** A `domain.status` audit row by the platform (as lib/audit/record writes it). Params: `{ accountId, targetId, targetLabel, data, at: Date }`. */
    statusAudit: portable(
      db.insert(auditEvents).values({
        accountId: ph("accountId"),
        actorUserId: null,
        actorName: "Edge Console",
        action: "domain.status",
        targetType: "domain",
        targetId: ph("targetId"),
        targetLabel: ph("targetLabel"),
        data: ph("data"),
        createdAt: ph("at"),
      }),
      "go_live_statusAudit",
    ),
  };
}

/** The prepared go-live statements. */
export type CheckStatements = ReturnType<typeof prepare>;

const cache = new WeakMap<Db, CheckStatements>();

/** The go-live statements prepared on the current connection (`getDb()`), prepared on first use. */
export function checkStatements(): CheckStatements {
  const db = getDb();
  let statements = cache.get(db);
  if (!statements) cache.set(db, (statements = prepare(db)));
  return statements;
}
