import { rawReader } from "@/db/raw";
import { DOMAIN_STATUS_COUNTS_SQL } from "@/lib/ops/queries";
import { Gauge, type Registry } from "prom-client";
import { EDGE_NODE_STALE_MS } from "@/lib/edge/nodes";

// Gauges computed from the database when /metrics is scraped (prom-client `collect()`), so they are right whichever
// process (console, worker) did the work: the due-domain backlog, domains by status and edge nodes by state.

/** Edge node states as /ops/edge shows them: revoked, stale (no contact for 2 minutes), draining, active. */
export const EDGE_NODE_STATES = ["active", "draining", "stale", "revoked"] as const;

const registered = new WeakSet<Registry>();

/** Adds the database gauges to `registry` once (later calls do nothing). Each scrape runs three indexed queries. */
export function registerDatabaseGauges(registry: Registry): void {
  if (registered.has(registry)) return;
  registered.add(registry);
  new Gauge({
    name: "edge_console_dns_due_domains",
    help: "Domains due for a background go-live check now (never checked, or their next check time has passed).",
    registers: [registry],
    async collect() {
      const [row] = await rawReader().rows<{ n: number }>(
        "SELECT count(*) AS n FROM domains WHERE next_check_at IS NULL OR next_check_at <= ?",
        [Date.now()],
      );
      this.set(row.n);
    },
  });
  new Gauge({
    name: "edge_console_domains",
    help: "Domains by go-live status, and flagged: live domains that stopped pointing at the edge (domain_status_counts).",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await rawReader().rows<{ status: string; count: number }>(DOMAIN_STATUS_COUNTS_SQL);
      this.reset();
      for (const row of rows) this.set({ status: row.status }, row.count);
    },
  });
  new Gauge({
    name: "edge_console_edge_nodes",
    help: "Edge nodes by state: active, draining, stale (no contact for 2 minutes), revoked.",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      const rows = await rawReader().rows<{ state: string; n: number }>(
        `SELECT CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
                     WHEN coalesce(last_contact_at, created_at) < ? THEN 'stale'
                     WHEN drain = 1 THEN 'draining' ELSE 'active' END AS state, count(*) AS n
           FROM edge_nodes GROUP BY 1`,
        [Date.now() - EDGE_NODE_STALE_MS],
      );
      for (const state of EDGE_NODE_STATES) this.set({ state }, rows.find((r) => r.state === state)?.n ?? 0);
    },
  });
}
