import { fleetTraffic } from "./query";

// The operators' fleet view of traffic (docs/traffic.md "Operators").

/** A node is flagged when its last metrics push is older than this (ms): three default flush periods. */
export const STOPPED_REPORTING_MS = 3 * 60_000;

/**
 * Per-node totals of the last hour for `nodes` (active nodes, in their order), each flagged `stopped` when it never
 * pushed or its last push is older than STOPPED_REPORTING_MS at `now`; plus the fleet's totals.
 */
export async function fleetView(nodes: readonly { id: number; name: string }[], now: number = Date.now()) {
  const byId = new Map((await fleetTraffic(now)).map((t) => [t.nodeId, t]));
  const rows = nodes.map((n) => {
    const t = byId.get(n.id);
    const lastPushAt = t?.lastPushAt ?? null;
    return {
      nodeId: n.id,
      name: n.name,
      requests: t?.requests ?? 0,
      status5xx: t?.status5xx ?? 0,
      bytesOut: t?.bytesOut ?? 0,
      lostLogs: t?.lostLogs ?? 0,
      droppedPushes: t?.droppedPushes ?? 0,
      lastPushAt,
      stopped: lastPushAt === null || now - lastPushAt > STOPPED_REPORTING_MS,
    };
  });
  const total = rows.reduce((a, r) => ({ requests: a.requests + r.requests, bytesOut: a.bytesOut + r.bytesOut }), {
    requests: 0,
    bytesOut: 0,
  });
  return { rows, total };
}
