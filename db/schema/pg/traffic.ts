// Mirrors db/schema/traffic.ts for PostgreSQL; db/schema/parity.test.ts holds them equal.
import { index, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { id, int64 } from "./columns";

/** The additive counters of db/schema/traffic.ts. */
function counters() {
  return {
    requests: int64("requests").notNull().default(0),
    status2xx: int64("status_2xx").notNull().default(0),
    status3xx: int64("status_3xx").notNull().default(0),
    status4xx: int64("status_4xx").notNull().default(0),
    status5xx: int64("status_5xx").notNull().default(0),
    bytesIn: int64("bytes_in").notNull().default(0),
    bytesOut: int64("bytes_out").notNull().default(0),
    hits: int64("hits").notNull().default(0),
    misses: int64("misses").notNull().default(0),
    passes: int64("passes").notNull().default(0),
    blocked: int64("blocked").notNull().default(0),
    lat0: int64("lat_0").notNull().default(0),
    lat1: int64("lat_1").notNull().default(0),
    lat2: int64("lat_2").notNull().default(0),
    lat3: int64("lat_3").notNull().default(0),
    lat4: int64("lat_4").notNull().default(0),
    lat5: int64("lat_5").notNull().default(0),
    lat6: int64("lat_6").notNull().default(0),
    lat7: int64("lat_7").notNull().default(0),
    lat8: int64("lat_8").notNull().default(0),
    lat9: int64("lat_9").notNull().default(0),
    lat10: int64("lat_10").notNull().default(0),
    lat11: int64("lat_11").notNull().default(0),
  };
}

export const trafficMinutes = pgTable(
  "traffic_minutes",
  {
    environmentId: int64("environment_id").notNull(),
    accountId: int64("account_id").notNull(),
    at: int64("at").notNull(),
    ...counters(),
  },
  (t) => [
    primaryKey({ columns: [t.environmentId, t.at] }),
    index("traffic_minutes_at_idx").on(t.at),
    index("traffic_minutes_account_idx").on(t.accountId, t.at),
  ],
);

export const trafficHours = pgTable(
  "traffic_hours",
  {
    environmentId: int64("environment_id").notNull(),
    accountId: int64("account_id").notNull(),
    at: int64("at").notNull(),
    ...counters(),
  },
  (t) => [
    primaryKey({ columns: [t.environmentId, t.at] }),
    index("traffic_hours_at_idx").on(t.at),
    index("traffic_hours_account_idx").on(t.accountId, t.at),
  ],
);

export const trafficNodeMinutes = pgTable(
  "traffic_node_minutes",
  {
    nodeId: int64("node_id").notNull(),
    at: int64("at").notNull(),
    requests: int64("requests").notNull().default(0),
    status5xx: int64("status_5xx").notNull().default(0),
    bytesOut: int64("bytes_out").notNull().default(0),
    lostLogs: int64("lost_logs").notNull().default(0),
    droppedPushes: int64("dropped_pushes").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.nodeId, t.at] }), index("traffic_node_minutes_at_idx").on(t.at)],
);

export const trafficNodeHours = pgTable(
  "traffic_node_hours",
  {
    nodeId: int64("node_id").notNull(),
    at: int64("at").notNull(),
    requests: int64("requests").notNull().default(0),
    status5xx: int64("status_5xx").notNull().default(0),
    bytesOut: int64("bytes_out").notNull().default(0),
    lostLogs: int64("lost_logs").notNull().default(0),
    droppedPushes: int64("dropped_pushes").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.nodeId, t.at] })],
);

export const trafficPushes = pgTable(
  "traffic_pushes",
  {
    pushId: text("push_id").primaryKey(),
    nodeId: int64("node_id").notNull(),
    receivedAt: int64("received_at").notNull(),
  },
  (t) => [index("traffic_pushes_received_idx").on(t.receivedAt)],
);

export const trafficRecentRequests = pgTable(
  "traffic_recent_requests",
  {
    id: id(),
    environmentId: int64("environment_id").notNull(),
    nodeId: int64("node_id").notNull(),
    at: int64("at").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    status: int64("status").notNull(),
    cache: text("cache"),
    durationMs: int64("duration_ms").notNull(),
    requestId: text("request_id").notNull(),
  },
  (t) => [index("traffic_recent_env_idx").on(t.environmentId, t.at), index("traffic_recent_reqid_idx").on(t.environmentId, t.requestId)],
);

// SQLite's `integer(...).primaryKey()` numbers a row inserted without it; here the key must be given (see edge.ts).
export const trafficAlerts = pgTable("traffic_alerts", {
  environmentId: int64("environment_id").primaryKey(),
  thresholdPercent: int64("threshold_percent").notNull(),
  lastAlertAt: int64("last_alert_at"),
});
