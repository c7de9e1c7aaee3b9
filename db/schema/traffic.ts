import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Traffic metrics (docs/traffic.md): additive counts per environment and minute (summed over nodes) and per node and
// minute, rolled into hours; the pushes already counted (a retried push is never counted twice); the last requests
// per environment; the 5xx alert an admin sets. No foreign keys on the count tables: an environment's traffic stays
// in the account's monthly bandwidth after the environment is deleted.

/** Upper bounds (ms, inclusive) of the fixed latency buckets; a 12th bucket holds everything slower. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** The additive counters of one environment over one period (a minute or an hour). */
function counters() {
  return {
    requests: integer("requests").notNull().default(0),
    status2xx: integer("status_2xx").notNull().default(0),
    status3xx: integer("status_3xx").notNull().default(0),
    status4xx: integer("status_4xx").notNull().default(0),
    status5xx: integer("status_5xx").notNull().default(0),
    /** Bytes received from clients (request headers and bodies) and sent to them. */
    bytesIn: integer("bytes_in").notNull().default(0),
    bytesOut: integer("bytes_out").notNull().default(0),
    /** X-Cache set by the platform: HIT, MISS, PASS. Requests without it count in none of the three. */
    hits: integer("hits").notNull().default(0),
    misses: integer("misses").notNull().default(0),
    passes: integer("passes").notNull().default(0),
    /** Requests blocked by ModSecurity. */
    blocked: integer("blocked").notNull().default(0),
    /** Latency histogram: requests whose total time was ≤ LATENCY_BUCKETS_MS[i] (and above the previous bound). */
    lat0: integer("lat_0").notNull().default(0),
    lat1: integer("lat_1").notNull().default(0),
    lat2: integer("lat_2").notNull().default(0),
    lat3: integer("lat_3").notNull().default(0),
    lat4: integer("lat_4").notNull().default(0),
    lat5: integer("lat_5").notNull().default(0),
    lat6: integer("lat_6").notNull().default(0),
    lat7: integer("lat_7").notNull().default(0),
    lat8: integer("lat_8").notNull().default(0),
    lat9: integer("lat_9").notNull().default(0),
    lat10: integer("lat_10").notNull().default(0),
    lat11: integer("lat_11").notNull().default(0),
  };
}

/** Per environment and minute (`at`: epoch ms of the minute's start), summed over nodes; kept 7 days. */
export const trafficMinutes = sqliteTable(
  "traffic_minutes",
  {
    environmentId: integer("environment_id").notNull(),
    accountId: integer("account_id").notNull(),
    at: integer("at").notNull(),
    ...counters(),
  },
  (t) => [
    primaryKey({ columns: [t.environmentId, t.at] }),
    index("traffic_minutes_at_idx").on(t.at),
    index("traffic_minutes_account_idx").on(t.accountId, t.at),
  ],
);

/** Per environment and hour (`at`: epoch ms of the hour's start), rolled up from minutes; kept 90 days. */
export const trafficHours = sqliteTable(
  "traffic_hours",
  {
    environmentId: integer("environment_id").notNull(),
    accountId: integer("account_id").notNull(),
    at: integer("at").notNull(),
    ...counters(),
  },
  (t) => [
    primaryKey({ columns: [t.environmentId, t.at] }),
    index("traffic_hours_at_idx").on(t.at),
    index("traffic_hours_account_idx").on(t.accountId, t.at),
  ],
);

/** Per node and minute: the node's totals over its environments, and the log loss it saw; kept 7 days. */
export const trafficNodeMinutes = sqliteTable(
  "traffic_node_minutes",
  {
    nodeId: integer("node_id").notNull(),
    at: integer("at").notNull(),
    requests: integer("requests").notNull().default(0),
    status5xx: integer("status_5xx").notNull().default(0),
    bytesOut: integer("bytes_out").notNull().default(0),
    /** Log lines HAProxy dropped or the agent's socket lost (they are not in the counts). */
    lostLogs: integer("lost_logs").notNull().default(0),
    /** Pushes the agent dropped from its full spool while the console was unreachable. */
    droppedPushes: integer("dropped_pushes").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.nodeId, t.at] }), index("traffic_node_minutes_at_idx").on(t.at)],
);

/** Per node and hour, rolled up from node minutes; kept 90 days. */
export const trafficNodeHours = sqliteTable(
  "traffic_node_hours",
  {
    nodeId: integer("node_id").notNull(),
    at: integer("at").notNull(),
    requests: integer("requests").notNull().default(0),
    status5xx: integer("status_5xx").notNull().default(0),
    bytesOut: integer("bytes_out").notNull().default(0),
    lostLogs: integer("lost_logs").notNull().default(0),
    droppedPushes: integer("dropped_pushes").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.nodeId, t.at] })],
);

/** Push ids already counted (idempotency of a retried push); kept 2 days. */
export const trafficPushes = sqliteTable(
  "traffic_pushes",
  {
    pushId: text("push_id").primaryKey(),
    nodeId: integer("node_id").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("traffic_pushes_received_idx").on(t.receivedAt)],
);

/**
 * The last requests of an environment (up to 100 kept, over all nodes): never bodies, cookies or query values.
 * `path` keeps the query's keys only (`/search?q&page`).
 */
export const trafficRecentRequests = sqliteTable(
  "traffic_recent_requests",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    environmentId: integer("environment_id").notNull(),
    nodeId: integer("node_id").notNull(),
    at: integer("at").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    status: integer("status").notNull(),
    cache: text("cache"),
    durationMs: integer("duration_ms").notNull(),
    requestId: text("request_id").notNull(),
  },
  (t) => [index("traffic_recent_env_idx").on(t.environmentId, t.at), index("traffic_recent_reqid_idx").on(t.environmentId, t.requestId)],
);

/** The 5xx alert of an environment (off unless a row exists): mail to the account's admins above the rate. */
export const trafficAlerts = sqliteTable("traffic_alerts", {
  environmentId: integer("environment_id").primaryKey(),
  /** 5xx share of requests over the last 5 minutes, in percent (0 < x ≤ 100). */
  thresholdPercent: integer("threshold_percent").notNull(),
  /** When the last mail went out (epoch ms); one mail per 30 minutes at most. */
  lastAlertAt: integer("last_alert_at"),
});
