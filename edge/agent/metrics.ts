import { randomUUID } from "node:crypto";
import dgram from "node:dgram";
import fs from "node:fs";
import path from "node:path";
import { consoleRequest } from "./console-client";

// Traffic metrics on the node (docs/traffic.md "On the node", docs/edge.md "Metrics"): HAProxy's public front sends
// one JSON line per request over loopback UDP (edge/haproxy/render.ts METRICS_LOG_FORMAT); this module counts them
// per environment and minute (requests, status classes, bytes, X-Cache, a fixed latency histogram), keeps the last
// requests per environment (query keys only), and pushes additive deltas to the console every
// EDGE_METRICS_FLUSH_SECONDS, each push with its own id. Undelivered pushes wait in a bounded spool on disk.

/** Upper bounds (ms, inclusive) of the fixed latency buckets; a 12th bucket holds slower requests (docs/traffic.md). */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const;

/** Number of latency buckets (bounds + the open last one). */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKETS_MS.length + 1;

/** Requests kept per environment between two pushes (the console keeps the last 100 over all nodes). */
export const RECENT_PER_ENVIRONMENT = 100;

/** Recent requests in one push, over all environments (about 150 bytes each). */
export const RECENT_PER_PUSH = 20_000;

/** Spool bounds: oldest pushes are dropped (and counted) beyond these. */
export const SPOOL_MAX_FILES = 2000;
export const SPOOL_MAX_BYTES = 64 * 1024 * 1024;

/** The node's health path (docs/edge.md "Drain and the node's health"): never counted, even if a line arrives. */
const NODE_HEALTH_PATH = "/.well-known/edge-node/health";

/** One request as HAProxy logged it (see METRICS_LOG_FORMAT in edge/haproxy/render.ts). */
export type LogRecord = {
  environmentId: number;
  /** Accept time, epoch ms. */
  at: number;
  method: string;
  /** Path and query keys only, no values (`/search?q&page`). */
  path: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** Total active time in ms (0 when HAProxy logged -1 for an aborted request). */
  durationMs: number;
  cache: "HIT" | "MISS" | "PASS" | null;
  /** X-Edge-Status of the answer, or null. */
  edgeStatus: string | null;
  requestId: string;
};

/** Additive counters of one environment over one minute, as pushed (docs/edge.md "Metrics"). */
export type MinuteCounts = {
  environmentId: number;
  /** Epoch ms of the minute's start. */
  at: number;
  requests: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  bytesIn: number;
  bytesOut: number;
  hits: number;
  misses: number;
  passes: number;
  blocked: number;
  /** LATENCY_BUCKET_COUNT counts. */
  latency: number[];
};

/** One recent request as pushed: never bodies, cookies or query values. */
export type RecentRequest = {
  environmentId: number;
  at: number;
  method: string;
  path: string;
  status: number;
  cache: string | null;
  durationMs: number;
  requestId: string;
};

/** The body of POST /api/edge/v1/metrics (docs/edge.md "Metrics"). */
export type MetricsPush = {
  pushId: string;
  /** Epoch ms when the push was made (the minute its loss counts are booked to). */
  createdAt: number;
  /** Log lines the node knows it lost since the previous push (HAProxy dropped, socket drops, unreadable lines). */
  lostLogs: number;
  /** Pushes dropped from the full spool since the previous push. */
  droppedPushes: number;
  minutes: MinuteCounts[];
  recent: RecentRequest[];
};

/**
 * Keeps the path and the query's keys of a request target, never the values (`/a?x=1&y=2` → `/a?x&y`). Returns the
 * text cut to 512 characters.
 */
export function withoutQueryValues(uri: string): string {
  const q = uri.indexOf("?");
  if (q < 0) return uri.slice(0, 512);
  const keys = uri
    .slice(q + 1)
    .split("&")
    .filter(Boolean)
    .map((kv) => kv.split("=")[0]);
  return `${uri.slice(0, q)}${keys.length ? `?${keys.join("&")}` : ""}`.slice(0, 512);
}

/** Index of the latency bucket for `ms` (LATENCY_BUCKETS_MS; the last index for anything slower). */
export function latencyBucket(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) if (ms <= LATENCY_BUCKETS_MS[i]) return i;
  return LATENCY_BUCKETS_MS.length;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "-" && v !== "" ? v : null;
}

/**
 * Parses one log line of METRICS_LOG_FORMAT. Returns null for a line that belongs to no environment (a hostname
 * that maps to none, a bad request, the node's health path); throws for a line that is not the format (counted as
 * lost by the caller).
 */
export function parseLogLine(text: string): LogRecord | null {
  const j = JSON.parse(text) as Record<string, unknown>;
  const key = str(j.e);
  if (!key) return null;
  const m = /^e([1-9][0-9]{0,11})$/.exec(key);
  if (!m) throw new Error(`unknown environment key ${key}`);
  const uri = str(j.u) ?? "/";
  if (uri === NODE_HEALTH_PATH || uri.startsWith(`${NODE_HEALTH_PATH}?`)) return null;
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);
  if (typeof j.t !== "number" || typeof j.s !== "number") throw new Error("line without time or status");
  const cache = str(j.c)?.toUpperCase() ?? null;
  return {
    environmentId: Number(m[1]),
    at: j.t,
    method: (str(j.m) ?? "-").slice(0, 16),
    path: withoutQueryValues(uri),
    status: j.s,
    bytesIn: num(j.bi),
    bytesOut: num(j.bo),
    durationMs: num(j.ta),
    cache: cache === "HIT" || cache === "MISS" || cache === "PASS" ? cache : null,
    edgeStatus: str(j.x),
    requestId: (str(j.id) ?? "").slice(0, 128),
  };
}

/** Counts log records per environment and minute, and keeps the last requests per environment. */
export class MetricsCounter {
  private minutes = new Map<string, MinuteCounts>();
  private recent = new Map<number, RecentRequest[]>();

  /** Adds one request. */
  add(r: LogRecord): void {
    const at = r.at - (r.at % 60_000);
    const k = `${r.environmentId}:${at}`;
    let c = this.minutes.get(k);
    if (!c) {
      c = {
        environmentId: r.environmentId,
        at,
        requests: 0,
        status2xx: 0,
        status3xx: 0,
        status4xx: 0,
        status5xx: 0,
        bytesIn: 0,
        bytesOut: 0,
        hits: 0,
        misses: 0,
        passes: 0,
        blocked: 0,
        latency: new Array<number>(LATENCY_BUCKET_COUNT).fill(0),
      };
      this.minutes.set(k, c);
    }
    c.requests++;
    if (r.status >= 200 && r.status < 300) c.status2xx++;
    else if (r.status >= 300 && r.status < 400) c.status3xx++;
    else if (r.status >= 400 && r.status < 500) c.status4xx++;
    else if (r.status >= 500 && r.status < 600) c.status5xx++;
    c.bytesIn += r.bytesIn;
    c.bytesOut += r.bytesOut;
    if (r.cache === "HIT") c.hits++;
    else if (r.cache === "MISS") c.misses++;
    else if (r.cache === "PASS") c.passes++;
    if (r.status === 403 && r.edgeStatus === "waf-blocked") c.blocked++;
    c.latency[latencyBucket(r.durationMs)]++;
    let ring = this.recent.get(r.environmentId);
    if (!ring) this.recent.set(r.environmentId, (ring = []));
    ring.push({
      environmentId: r.environmentId,
      at: r.at,
      method: r.method,
      path: r.path,
      status: r.status,
      cache: r.cache,
      durationMs: r.durationMs,
      requestId: r.requestId,
    });
    if (ring.length > RECENT_PER_ENVIRONMENT * 2) ring.splice(0, ring.length - RECENT_PER_ENVIRONMENT);
  }

  /**
   * Takes what was counted since the last call (the counter starts again from zero). Recent requests are cut to
   * RECENT_PER_PUSH in all, shared evenly between environments (at least one each), so a push stays far below the
   * console's body limit however many environments the node serves.
   */
  take(): { minutes: MinuteCounts[]; recent: RecentRequest[] } {
    const minutes = [...this.minutes.values()];
    const each = Math.max(1, Math.min(RECENT_PER_ENVIRONMENT, Math.floor(RECENT_PER_PUSH / Math.max(1, this.recent.size))));
    const recent = [...this.recent.values()].flatMap((ring) => ring.slice(-each));
    this.minutes = new Map();
    this.recent = new Map();
    return { minutes, recent };
  }
}

/** Drops counted for the UDP socket bound to `port` on 127.x (the last column of /proc/net/udp), or 0. */
function socketDrops(port: number): number {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
    for (const line of fs.readFileSync("/proc/net/udp", "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hexPort}`)) return Number(f[f.length - 1]) || 0;
    }
  } catch {
    // not Linux: no per-socket drop counter
  }
  return 0;
}

/** Settings of {@link EdgeMetrics}. */
export type EdgeMetricsOptions = {
  consoleUrl: URL;
  nodeToken: string;
  /** Loopback address and UDP port the listener binds. */
  host: string;
  port: number;
  flushSeconds: number;
  /** Folder of the spool (made 0700). */
  spoolDir: string;
  /** HAProxy's DroppedLogs counter (cumulative, resets when a new worker starts), or null when unknown. */
  droppedLogs: () => Promise<number | null>;
  log: (line: string) => void;
  /** Spool bound in pushes (default SPOOL_MAX_FILES). */
  spoolMaxFiles?: number;
};

/**
 * The node's metrics: a UDP listener for HAProxy's log lines, a counter, and the push loop with its spool
 * (docs/traffic.md "On the node"). `start()` binds before HAProxy is configured to log to it.
 */
export class EdgeMetrics {
  readonly counter = new MetricsCounter();
  private socket: dgram.Socket | null = null;
  private timer: NodeJS.Timeout | null = null;
  private unreadable = 0;
  private lastUnreadable = "";
  private lastDropped: number | null = null;
  private lastSocketDrops = 0;
  private droppedPushes = 0;
  private revoked = false;
  private flushing: Promise<void> = Promise.resolve();
  /** Lines received (tests and the benchmark read it). */
  received = 0;

  constructor(private readonly o: EdgeMetricsOptions) {}

  /** Where HAProxy sends its lines. */
  get target(): { host: string; port: number } {
    return { host: this.o.host, port: this.o.port };
  }

  /**
   * Binds the UDP listener and starts the flush timer (the first flush also sends what an earlier run spooled).
   * Rejects when the port cannot be bound.
   */
  async start(): Promise<void> {
    fs.mkdirSync(this.o.spoolDir, { recursive: true, mode: 0o700 });
    const socket = dgram.createSocket({ type: "udp4", recvBufferSize: 8 * 1024 * 1024 });
    socket.on("message", (msg) => this.line(msg.toString("utf8")));
    socket.on("error", (e) => this.o.log(`metrics socket: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(this.o.port, this.o.host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    this.socket = socket;
    this.lastSocketDrops = socketDrops(this.o.port);
    this.timer = setInterval(() => void this.flush(), this.o.flushSeconds * 1000);
    this.timer.unref();
  }

  /** Counts one log line (a datagram may hold one line, with or without its newline). */
  line(text: string): void {
    this.received++;
    for (const l of text.split("\n")) {
      // HAProxy also sends its own notices there ("Proxy public stopped …" on a reload): not request lines.
      if (!l.startsWith("{")) continue;
      try {
        const r = parseLogLine(l);
        if (r) this.counter.add(r);
      } catch (error) {
        if (this.unreadable++ === 0) this.lastUnreadable = `${(error as Error).message}: ${l.slice(0, 200)}`;
      }
    }
  }

  /** Log lines lost since the previous call: HAProxy's dropped logs, socket drops, unreadable lines. */
  private async lost(): Promise<number> {
    const unreadable = this.unreadable;
    this.unreadable = 0;
    let haproxy = 0;
    const dropped = await this.o.droppedLogs().catch(() => null);
    if (dropped !== null) {
      haproxy = this.lastDropped === null ? 0 : dropped >= this.lastDropped ? dropped - this.lastDropped : dropped;
      this.lastDropped = dropped;
    }
    const drops = socketDrops(this.o.port);
    const socket = Math.max(0, drops - this.lastSocketDrops);
    this.lastSocketDrops = drops;
    const lost = unreadable + haproxy + socket;
    if (lost) {
      this.o.log(
        `metrics: ${lost} log line(s) lost (HAProxy dropped ${haproxy}, socket dropped ${socket}, unreadable ${unreadable}` +
          `${unreadable ? `, e.g. ${this.lastUnreadable}` : ""}); the console is told`,
      );
    }
    return lost;
  }

  /** Makes a push of what was counted (spooled first), then sends the spool oldest first. Never throws. */
  flush(send = true): Promise<void> {
    const run = this.flushing.then(() => this.flushNow(send));
    this.flushing = run.catch(() => undefined);
    return this.flushing;
  }

  private async flushNow(send: boolean): Promise<void> {
    const { minutes, recent } = this.counter.take();
    const lostLogs = await this.lost();
    if (minutes.length || lostLogs || this.droppedPushes) {
      const push: MetricsPush = {
        pushId: randomUUID(),
        createdAt: Date.now(),
        lostLogs,
        droppedPushes: this.droppedPushes,
        minutes,
        recent,
      };
      this.droppedPushes = 0;
      const file = path.join(this.o.spoolDir, `${String(push.createdAt).padStart(15, "0")}-${push.pushId}.json`);
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(push), { mode: 0o600 });
      fs.renameSync(`${file}.tmp`, file);
      this.boundSpool();
    }
    if (send && !this.revoked) await this.sendSpool();
  }

  /** Oldest pushes beyond SPOOL_MAX_FILES / SPOOL_MAX_BYTES are removed and counted in the next push. */
  private boundSpool(): void {
    const files = this.spoolFiles();
    let bytes = files.reduce((n, f) => n + f.size, 0);
    let count = files.length;
    for (const f of files) {
      if (count <= (this.o.spoolMaxFiles ?? SPOOL_MAX_FILES) && bytes <= SPOOL_MAX_BYTES) break;
      fs.rmSync(f.path, { force: true });
      count--;
      bytes -= f.size;
      this.droppedPushes++;
    }
  }

  private spoolFiles(): { path: string; size: number }[] {
    return fs
      .readdirSync(this.o.spoolDir)
      .filter((n) => n.endsWith(".json"))
      .sort()
      .map((n) => {
        const p = path.join(this.o.spoolDir, n);
        return { path: p, size: fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0 };
      });
  }

  /** Pushes waiting in the spool (tests read it). */
  spooled(): number {
    return this.spoolFiles().length;
  }

  private async sendSpool(): Promise<void> {
    for (const f of this.spoolFiles()) {
      let body: string;
      try {
        body = fs.readFileSync(f.path, "utf8");
      } catch {
        continue;
      }
      let status: number;
      let text = "";
      try {
        const res = await consoleRequest(new URL("/api/edge/v1/metrics", this.o.consoleUrl), {
          token: this.o.nodeToken,
          body,
          timeoutMs: 15_000,
        });
        status = res.status;
        text = res.text;
      } catch (error) {
        this.o.log(`metrics push not delivered (${(error as Error).message}); ${this.spooled()} push(es) spooled`);
        return;
      }
      if (status === 401) {
        this.revoked = true;
        this.o.log("the console refused this node's token (401): metrics are no longer pushed");
        return;
      }
      if (status >= 200 && status < 300) {
        fs.rmSync(f.path, { force: true });
      } else if (status >= 400 && status < 500) {
        // Refused for its content: sending it again would be refused again.
        fs.rmSync(f.path, { force: true });
        this.o.log(`metrics push refused (${status}): ${text.slice(0, 300)}`);
      } else {
        this.o.log(`metrics push: the console answered ${status}; ${this.spooled()} push(es) spooled`);
        return;
      }
    }
  }

  /**
   * Stops the listener and the timer; what was counted since the last push is spooled (not sent, so a slow console
   * never holds up a stop) and goes with the next start's first push.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.socket) await this.flush(false);
    this.socket?.close();
    this.socket = null;
  }
}
