import { reconcileEdgeState } from "./versions";
import { log } from "@/lib/log";

// The full reconcile at start and every 5 minutes (docs/edge.md "Versions"), so a missed noteEdgeChange heals.

/** Interval of the periodic full reconcile (ms). */
export const EDGE_RECONCILE_INTERVAL_MS = 5 * 60_000;

/**
 * Runs `reconcileEdgeState()` now and then every `intervalMs` (default 5 minutes), one at a time; failures are
 * logged and the next run goes on. The timer does not keep the process alive. `stop()` ends it.
 */
export function startEdgeReconciler(intervalMs: number = EDGE_RECONCILE_INTERVAL_MS): { stop: () => void } {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const run = async () => {
    try {
      const result = await reconcileEdgeState();
      if (result.changed.length + result.removed.length > 0) {
        log.info(`[edge] reconcile: version ${result.version}, changed ${result.changed.length}, removed ${result.removed.length}`);
      }
    } catch (error) {
      log.error({ err: error }, "[edge] reconcile failed");
    }
    if (!stopped) {
      timer = setTimeout(() => void run(), intervalMs);
      timer.unref();
    }
  };
  void run();
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
