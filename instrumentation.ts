/**
 * Runs once when the Node.js server starts (not in build workers): checks CONSOLE_ROLE and AUTH_SECRET, opens the
 * database (applying migrations under a lock) and — on the leader (lib/cluster/leader: every process on SQLite, one
 * of the cluster on PostgreSQL), unless CONSOLE_ROLE=web — settles operations interrupted by a crash (docs/product.md §7; lib/maintenance/leftovers.ts): account deletions
 * (repositories staged in `DATA_DIR/trash` go back when their rows remain, else are removed), application deletions
 * (an archived repository whose row remains goes back) and application creations (repository folders no row names
 * are removed). Then starts the background scheduler: go-live re-checks every `CHECK_INTERVAL_SECONDS`, and the same
 * leftovers check every 10 minutes, so leftovers of a crash elsewhere (a worker, another process) need no restart,
 * and the leader's git maintenance of the repositories (lib/git/maintenance.ts).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { openDatabase } = await import("@/db");
  const { describeLeftovers, leftoversJob, settleInterruptedOperations } = await import("@/lib/maintenance/leftovers");
  const { log, runOutsideRequest } = await import("@/lib/log");
  const { authSecret } = await import("@/lib/config");
  const { consoleRole, isLeader, startLeaderElection } = await import("@/lib/cluster/leader");
  let role: ReturnType<typeof consoleRole>;
  try {
    role = consoleRole(); // a wrong CONSOLE_ROLE
    authSecret(); // DATABASE_URL set without AUTH_SECRET (docs/product.md §11)
    await openDatabase(); // the database cannot be reached or migrated
  } catch (error) {
    // Next would go on serving 500s with the hook failed: end the process instead, so that it is seen (and a
    // supervisor restarts it once the cause is gone).
    log.fatal(`the console cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  // What scripts/server.mjs calls on SIGTERM/SIGINT before it exits: the background jobs end their current step, then
  // the leader lock, the LISTEN connection and the pool are closed, so PostgreSQL sees clean disconnects (no "unexpected
  // EOF" in its log) and another process takes the leadership at once.
  const { stopListening } = await import("@/lib/cluster/notify");
  const { closeDb } = await import("@/db");
  const { stopLeaderElection } = await import("@/lib/cluster/leader");
  const background: { stop: () => unknown }[] = [];
  const { settleEdgeChanges } = await import("@/lib/edge/changes");
  (globalThis as { edgeConsoleStop?: () => Promise<void> }).edgeConsoleStop = async () => {
    await Promise.all(background.map((job) => job.stop()));
    await settleEdgeChanges(); // reconciles already started by this bundle's jobs
    await Promise.all([stopLeaderElection(), stopListening()]);
    // This bundle's pool; the request handlers' bundles hold their own, closed by the exit that follows.
    await closeDb();
  };
  // CONSOLE_ROLE=web: this instance only serves; the workers (and `all` instances) do the background work.
  if (role === "web") {
    log.info("CONSOLE_ROLE=web: serving only (no checker, no schedulers, not a leader candidate)");
    return;
  }
  await startLeaderElection(); // PostgreSQL: one process of the cluster runs the once-only work (lib/cluster/leader)
  if (isLeader()) {
    const said = describeLeftovers(await settleInterruptedOperations({ atStart: true }));
    if (said) log.info(`start-up check: ${said}`);
  }
  // Background re-checks of due domains (docs/product.md §3.5), once per process; the lease in checkDomain keeps
  // several processes (this server, `npm run worker`) from checking one domain at once.
  const scheduled = globalThis as { edgeConsoleScheduler?: unknown };
  // Outside any request's log context: the timers started here must not carry a request id into later lines.
  if (!scheduled.edgeConsoleScheduler)
    await runOutsideRequest(async () => {
      const { startScheduler } = await import("@/lib/dns/scheduler");
      const scheduler = startScheduler({ maintenance: leftoversJob() });
      scheduled.edgeConsoleScheduler = scheduler;
      // The edge's full reconcile at start and every 5 minutes (docs/edge.md "Versions").
      const { startEdgeReconciler } = await import("@/lib/edge/periodic");
      // HTTPS certificates: orders, renewals and expiry mail (docs/https.md "Scheduler"); leases as above.
      const { startCertificateScheduler } = await import("@/lib/https/scheduler");
      // Traffic: retention of the metric rows and the 5xx alert mail (docs/traffic.md "Retention", "Alerts").
      const { startTrafficScheduler } = await import("@/lib/traffic/scheduler");
      // Git maintenance of the applications' repositories, on the leader (docs/architecture.md "Git storage and its
      // maintenance").
      const { startGitMaintenance } = await import("@/lib/git/maintenance");
      background.push(scheduler, startEdgeReconciler(), startCertificateScheduler(), startTrafficScheduler(), startGitMaintenance());
    });
}
