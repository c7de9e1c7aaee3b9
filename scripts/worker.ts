// `npm run worker`: background go-live re-checks (docs/product.md §3.5) outside the console process, against the
// same DATA_DIR (and the same settings: DNS_SERVERS, SMTP_URL, APP_URL, CHECK_INTERVAL_SECONDS…), and every 10
// minutes the check for leftovers of interrupted creations and deletions (lib/maintenance/leftovers.ts). Several
// workers and the console can run together: the lease in checkDomain keeps them from checking one domain at once,
// and the leftovers check touches only what is older than 60 s, deciding inside a write transaction. On PostgreSQL
// the once-per-cluster work (leftovers, status folds, retention) runs on the elected leader only (lib/cluster/leader).
import { createRequire } from "node:module";
import { openDatabase } from "@/db";
import { authSecret, settings } from "@/lib/config";
import { startLeaderElection, stopLeaderElection } from "@/lib/cluster/leader";
import { stopListening } from "@/lib/cluster/notify";
import { startScheduler, type MaintenanceJob } from "@/lib/dns/scheduler";
import { log } from "@/lib/log";
import { serveWorkerMetrics } from "@/lib/metrics/worker";

/**
 * The leftovers check, when this process can load it: the account and application modules it uses are guarded by
 * `server-only`, which loads only under the `react-server` condition (`tsx --conditions=react-server`). Probed with a
 * plain `require`, whose failure is an ordinary exception.
 */
async function leftoversJob(): Promise<MaintenanceJob | null> {
  try {
    createRequire(import.meta.url)("server-only");
  } catch {
    log.error("worker: the leftovers check is off: start the worker with `tsx --conditions=react-server scripts/worker.ts`");
    return null;
  }
  return (await import("@/lib/maintenance/leftovers")).leftoversJob();
}

authSecret(); // throws when DATABASE_URL is set without AUTH_SECRET (docs/product.md §11)
await openDatabase(); // applies migrations, like the console at start
await startLeaderElection(); // PostgreSQL: one process of the cluster runs the once-only work (lib/cluster/leader)
const s = settings();
log.info(`worker: checking due domains in ${s.dataDir} every ${s.checkIntervalSeconds} s`);
// Its counters live in this process: WORKER_METRICS_PORT serves them as the console serves /metrics.
const metricsServer = await serveWorkerMetrics();
const scheduler = startScheduler({ maintenance: (await leftoversJob()) ?? undefined });
// HTTPS certificates (docs/https.md "Scheduler"): orders and renewals under the same lease discipline.
const { startCertificateScheduler } = await import("@/lib/https/scheduler");
const certificates = startCertificateScheduler();
// Traffic: retention of the metric rows and the 5xx alert mail (docs/traffic.md "Retention", "Alerts").
const { startTrafficScheduler } = await import("@/lib/traffic/scheduler");
const traffic = startTrafficScheduler();
// Git maintenance of the applications' repositories, on the leader (docs/architecture.md "Git storage and its
// maintenance").
const { startGitMaintenance } = await import("@/lib/git/maintenance");
const gitMaintenance = startGitMaintenance();
const keepAlive = setInterval(() => {}, 1 << 30);
const stop = () => {
  clearInterval(keepAlive);
  metricsServer?.close();
  traffic.stop();
  void Promise.all([scheduler.stop(), certificates.stop(), gitMaintenance.stop()])
    .then(() => Promise.all([stopLeaderElection(), stopListening()])) // stopListening: the LISTEN connection, if opened
    .then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
