import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { checkChain, haveTool, labelFor, renderChain, toolVersions, type HopAddress, type ProcessSpec } from "../modules";
import { NODE_HEALTH_PATH, renderHaproxy, type HaproxyEnvironment, type RenderedOrigin } from "../haproxy/render";
import { readWorkerCounters } from "../haproxy/counters";
import { originCaFile } from "../haproxy/origin-ca";
import { applyMapChanges, haproxyCommand, parseHostsMap } from "../haproxy/runtime";
import { ApplyError, groupId, run, userIds } from "./common";
import { consoleRequest } from "./console-client";
import { OriginResolver, resolveOrigin, type OwnEndpoints } from "./origins";
import { isExpectedProcess, killStragglers, Supervisor, waitForPort, waitForSocket, type ManagedProcess } from "./processes";
import {
  lockEnvironmentFolder,
  noSandboxMessage,
  sandboxProcesses,
  sandboxSupport,
  SANDBOXED_MODULES,
  startAs,
  versionFolderOf,
  type RunSpec,
} from "./sandbox";
import type { EdgeSettings } from "./settings";
import { VarnishControl } from "./varnish-control";
import { EdgeHttps, httpsOf, sameExceptHttps } from "./certificates";
import { PurgeApplier, type PurgeReport } from "./purge";
import { WorkerHolds } from "./hold";
import { EdgeMetrics } from "./metrics";
import { mergeDesiredState, parseDesiredState, type DesiredEnvironment, type DesiredState, type StateSettings } from "./state";

// The edge agent: poll the desired state, apply it per environment, report, and supervise haproxy, varnishd and
// the environments' nginx/node processes (docs/edge.md "Applying, on the node", docs/product.md §8).

/** What serves one environment now (persisted in EDGE_STATE_DIR/private/agent.json). */
type Active = {
  env: DesiredEnvironment;
  entry: HopAddress;
  modulePorts: number[];
  processes: { name: string; spec: ProcessSpec }[];
  vclName: string | null;
  /** The wrapped VCL file of this version (loaded again after a varnishd restart). */
  vclPath: string | null;
  appliedAt: string;
};

type Persisted = {
  stateVersion: number;
  settings: StateSettings;
  desired: Record<string, DesiredEnvironment>;
  hopTokens: Record<string, string>;
  lastHops: Record<string, number>;
  usedPorts: number[];
  active: Record<string, Active>;
  /** The console's `node.drain` as last applied (docs/edge.md "Drain and the node's health"). */
  drain?: boolean;
};

/** One environment's line in a report (docs/edge.md "Desired state", POST /api/edge/v1/report). */
export type EnvironmentReport = {
  environmentId: number;
  version: number;
  status: "applied" | "failed" | "removed";
  servingCommit: string | null;
  appliedAt?: string;
  tool?: string;
  message?: string;
  /** HTTP-01 tokens of this environment the node answers after the round (docs/edge.md "Challenges"). */
  acmeChallenges?: string[];
};

const EMPTY_SETTINGS: StateSettings = { allowCodeModules: false, allowPrivateOrigins: false, edgeAddresses: [] };

/**
 * HAProxy's threads: half the CPUs (at least one). HAProxy shares the node with varnishd and the chains' nginx and
 * Node processes; on the 2-CPU bench machine one thread served as many cache hits per second as two, with a lower
 * p99 (fewer wake-ups), than HAProxy's default of one thread per CPU (bench/edge.ts).
 */
const HAPROXY_THREADS = Math.max(1, Math.floor(os.availableParallelism() / 2));

/**
 * Environments prepared at once in an apply round. Cold start with 100 varnish environments on the 2-CPU bench box
 * (bench/edge.ts, one run each under other load): 1 at a time 31–35 s, 3 at a time 27–34 s, 4 at a time 27 s.
 */
const PREPARE_CONCURRENCY = 3;

/** Runs `fn` over `items` with at most `limit` at a time; results in the items' order. `fn` must not reject. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The ALERT lines of `haproxy -c` output (the first six), else its last lines. */
function haproxyErrors(out: string): string {
  const lines = out.split("\n");
  const alerts = lines.filter((l) => /ALERT/.test(l)).slice(0, 6);
  return (alerts.length ? alerts : lines.slice(-6)).join("\n").replace(/\[ALERT\]\s+\(\d+\) : /g, "") || "haproxy -c failed";
}

/** The edge agent of one node. `start()` serves the last good state at once, then polls the console. */
export class EdgeAgent {
  private readonly dirs: {
    root: string;
    priv: string;
    haproxy: string;
    run: string;
    envs: string;
    vcl: string;
    varnish: string;
    /** varnishd's UNIX socket for HAProxy (0750, group edge-proxy as root). */
    sock: string;
  };
  private p: Persisted;
  private readonly supervisor: Supervisor;
  private readonly varnish: VarnishControl;
  private readonly resolver: OriginResolver;
  private readonly isRoot = process.getuid?.() === 0;
  private stopped = false;
  private revoked = false;
  private pollAbort: AbortController | null = null;
  private applying: Promise<void> = Promise.resolve();
  private pendingReport: EnvironmentReport[] = [];
  private nodeError: string | null = null;
  private tools: Record<string, string> = {};
  private heartbeat: NodeJS.Timeout | null = null;
  private reresolve: NodeJS.Timeout | null = null;
  /** Certificates, HTTP-01 answers and redirects (docs/https.md "Edge side"; ./certificates.ts). */
  private readonly https: EdgeHttps;
  /** Purges (docs/edge.md "Purge"; ./purge.ts) and their results not yet delivered in a report. */
  private readonly purges: PurgeApplier;
  private pendingPurges: PurgeReport[] = [];
  /** Traffic metrics: HAProxy's counters read, its log lines counted, both pushed (docs/traffic.md; ./metrics.ts). */
  readonly metrics: EdgeMetrics;
  /** One held request per HAProxy worker, so a retired worker's final counters can be read (./hold.ts). */
  private readonly holds: WorkerHolds;
  private readonly holdTarget: { host: string; port: number; secret: string };

  constructor(
    private readonly s: EdgeSettings,
    private readonly log: (line: string) => void = (l) => console.log(`[edge] ${l}`),
  ) {
    const root = s.stateDir;
    this.dirs = {
      root,
      priv: path.join(root, "private"),
      haproxy: path.join(root, "haproxy"),
      run: path.join(root, "run"),
      envs: path.join(root, "envs"),
      vcl: path.join(root, "vcl"),
      varnish: path.join(root, "varnish"),
      sock: path.join(root, "sock"),
    };
    // EDGE_STATE_DIR itself is 0711 so that varnishd's unprivileged users reach their own folders; everything
    // secret (state with secrets and keys, tokens, sockets, HAProxy's configuration) sits in 0700 folders.
    fs.mkdirSync(root, { recursive: true, mode: 0o711 });
    fs.chmodSync(root, 0o711);
    for (const d of [this.dirs.priv, this.dirs.haproxy, this.dirs.run]) {
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
      fs.chmodSync(d, 0o700);
    }
    fs.mkdirSync(this.dirs.envs, { recursive: true, mode: 0o711 });
    fs.mkdirSync(this.dirs.vcl, { recursive: true, mode: 0o750 });
    const varnishGid = this.isRoot ? groupId("varnish") : null;
    if (varnishGid !== null) fs.chownSync(this.dirs.vcl, 0, varnishGid);
    // HAProxy (edge-proxy) reaches varnishd's socket here; tenants' users do not.
    fs.mkdirSync(this.dirs.sock, { recursive: true, mode: 0o700 });
    const proxyGid = this.isRoot ? groupId("edge-proxy") : null;
    fs.chmodSync(this.dirs.sock, proxyGid !== null ? 0o750 : 0o700);
    if (proxyGid !== null) fs.chownSync(this.dirs.sock, 0, proxyGid);
    this.p = this.load();
    this.supervisor = new Supervisor(this.dirs.run, this.log);
    this.varnish = new VarnishControl({
      dirs: this.dirs,
      address: this.varnishAddress,
      adminPort: this.varnishAdminPort,
      isRoot: this.isRoot,
      supervisor: this.supervisor,
      log: this.log,
      environments: () => Object.values(this.p.active).map((a) => ({ key: a.env.key, vclName: a.vclName, vclPath: a.vclPath })),
      hopToken: (key) => this.hopToken(key),
      serialized: (fn) => this.serialized(fn),
    });
    this.resolver = new OriginResolver(s.dnsServers, 60);
    this.https = new EdgeHttps(this.dirs.haproxy, path.join(this.dirs.haproxy, "default.pem"));
    this.purges = new PurgeApplier(
      (expression) => this.varnish.ban(expression),
      () => haveTool("varnishd"),
      this.log,
    );
    this.holdTarget = { host: s.internalAddress, port: s.internalPortBase + 3, secret: this.holdSecret() };
    this.holds = new WorkerHolds(this.holdTarget, this.log);
    this.metrics = new EdgeMetrics({
      consoleUrl: s.consoleUrl,
      nodeToken: s.nodeToken,
      host: s.internalAddress,
      port: s.internalPortBase + 2,
      flushSeconds: s.metricsFlushSeconds,
      spoolDir: path.join(this.dirs.priv, "metrics-spool"),
      droppedLogs: async () => {
        const info = await haproxyCommand(path.join(this.dirs.haproxy, "admin.sock"), "show info", 2000);
        const m = /^DroppedLogs: (\d+)$/m.exec(info);
        return m ? Number(m[1]) : null;
      },
      counters: () => readWorkerCounters(path.join(this.dirs.haproxy, "master.sock")),
      countersFile: path.join(this.dirs.priv, "metrics-counters.json"),
      holds: this.holds,
      receiveBufferBytes: s.metricsReceiveBufferBytes,
      log: this.log,
    });
  }

  // ---------------------------------------------------------------- persistence

  /** The secret of HAProxy's `edge_hold` listener: random once, kept in private/ so the configuration stays the same. */
  private holdSecret(): string {
    const file = path.join(this.dirs.priv, "hold-secret");
    try {
      const saved = fs.readFileSync(file, "utf8").trim();
      if (/^[0-9a-f]{64}$/.test(saved)) return saved;
    } catch {
      // made below
    }
    const secret = randomBytes(32).toString("hex");
    fs.mkdirSync(this.dirs.priv, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return secret;
  }

  private load(): Persisted {
    try {
      const raw = JSON.parse(fs.readFileSync(path.join(this.dirs.priv, "agent.json"), "utf8")) as Persisted;
      if (typeof raw.stateVersion === "number" && raw.active && raw.desired) return raw;
    } catch {
      // first start
    }
    return { stateVersion: 0, settings: EMPTY_SETTINGS, desired: {}, hopTokens: {}, lastHops: {}, usedPorts: [], active: {} };
  }

  private save(): void {
    const file = path.join(this.dirs.priv, "agent.json");
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(this.p), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }

  // ---------------------------------------------------------------- ports

  private get varnishAddress(): HopAddress {
    return { host: this.s.internalAddress, port: this.s.internalPortBase };
  }

  private get varnishAdminPort(): number {
    return this.s.internalPortBase + 1;
  }

  private allocatePort(): number {
    const used = new Set(this.p.usedPorts);
    for (let port = this.s.internalPortBase + 10; port < this.s.internalPortBase + 2000; port++) {
      if (!used.has(port)) {
        this.p.usedPorts.push(port);
        return port;
      }
    }
    throw new ApplyError("policy", "no free internal port left (EDGE_INTERNAL_PORT_BASE range of 2000 is used up)");
  }

  private freePorts(ports: readonly number[]): void {
    const drop = new Set(ports);
    this.p.usedPorts = this.p.usedPorts.filter((p) => !drop.has(p));
  }

  /** The node's own listeners: an origin may never be one of them (docs/product.md §8). */
  private own(): OwnEndpoints {
    return {
      bindAddress: this.s.bindAddress,
      publicPorts: [this.s.httpPort, this.s.httpsPort],
      internalPorts: () => new Set([this.s.internalPortBase, this.varnishAdminPort, ...this.p.usedPorts]),
    };
  }

  // ---------------------------------------------------------------- start / stop

  /** Serves the persisted last good state (adopting running processes), then starts polling and heartbeats. */
  async start(): Promise<void> {
    this.tools = await toolVersions().catch(() => ({}));
    await this.ensureDefaultCertificate();
    this.https.writeFiles(this.httpsEnvs()); // HTTPS files before HAProxy starts (docs/https.md "Edge side")
    this.writeNodeMap();
    await this.metrics.start(); // before HAProxy logs to it
    await this.varnish.start();
    // nginx / node processes of the active versions: adopt or start.
    for (const a of Object.values(this.p.active)) {
      for (const pr of a.processes) this.supervisor.ensure(this.managed(pr.name, pr.spec));
    }
    const haproxy = await this.commitHaproxy(this.activeHaproxyEnvs());
    if (!haproxy.ok) {
      this.nodeError = `haproxy: ${haproxy.message}`;
      this.log(this.nodeError);
    }
    this.supervisor.watch();
    this.heartbeat = setInterval(() => void this.report([]), 60_000);
    this.heartbeat.unref();
    // Origin hostnames are re-resolved every minute; a changed answer re-renders HAProxy.
    this.reresolve = setInterval(() => {
      this.resolver.clear();
      this.serialized(() => this.refreshOrigins()).catch((e: Error) => this.log(`re-resolve: ${e.message}`));
    }, 60_000);
    this.reresolve.unref();
    this.log(`serving ${Object.keys(this.p.active).length} environment(s) from the last good state (version ${this.p.stateVersion})`);
    // What it serves goes in the first report: the console keeps one line per node and environment, and a node that
    // comes back with a new token (docs/edge.md "Node tokens") has none until then, although it serves.
    this.pendingReport.push(
      ...Object.values(this.p.active).map((a): EnvironmentReport => ({
        environmentId: a.env.environmentId,
        version: a.env.version,
        status: "applied",
        servingCommit: a.env.commit,
        appliedAt: a.appliedAt,
        acmeChallenges: this.https.tokensFor(a.env.environmentId),
      })),
    );
    void this.report([]);
    void this.pollLoop();
  }

  /** Stops polling; stops the proxies unless `keepProxies` (then they keep serving for an upgrade). */
  async stop(keepProxies: boolean): Promise<void> {
    this.stopped = true;
    this.pollAbort?.abort();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.reresolve) clearInterval(this.reresolve);
    this.supervisor.halt();
    await this.applying.catch(() => {});
    if (!keepProxies && this.supervisor.names().includes("haproxy")) {
      // HAProxy goes first, while the log socket is open, by a soft stop (SIGUSR1: it stops accepting and finishes
      // the requests under way; no client gets a 503 from a chain module already stopped). The holds keep each
      // worker until it has no session left and its counters are read for the last time, as after a reload
      // (docs/traffic.md "Counters"); a worker not drained in 5 s leaves its last requests to its log lines.
      await this.metrics.readCounters();
      const pid = this.supervisor.pid("haproxy");
      try {
        if (pid) process.kill(pid, "SIGUSR1");
      } catch {
        // already gone
      }
      await this.metrics.readUntilRetired(5000);
      this.holds.releaseAll();
      await this.supervisor.stop("haproxy", 5000, "SIGUSR1");
      await new Promise((r) => setTimeout(r, 300)); // the last lines of a worker not read to the end
      this.metrics.proxiesGone();
    }
    await this.metrics.stop();
    this.holds.releaseAll();
    if (keepProxies) {
      this.supervisor.release();
      this.log("stopped; proxies left running (--keep-proxies)");
      return;
    }
    for (const name of this.supervisor.names()) await this.supervisor.stop(name);
    // Anything still working inside the rendered chains (a worker whose master is gone) is the agent's own.
    killStragglers(this.dirs.envs);
    this.log("stopped with its proxies");
  }

  // ---------------------------------------------------------------- console

  private async pollLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped && !this.revoked) {
      const url = new URL("/api/edge/v1/state", this.s.consoleUrl);
      url.searchParams.set("since", String(this.p.stateVersion));
      url.searchParams.set("wait", "30");
      this.pollAbort = new AbortController();
      const timer = setTimeout(() => this.pollAbort?.abort(), 45_000);
      let retry = false;
      try {
        const res = await consoleRequest(url, { token: this.s.nodeToken, timeoutMs: 45_000, signal: this.pollAbort.signal });
        const text = res.text;
        if (res.status === 401) {
          this.revoked = true;
          this.log("the console refused this node's token (401): polling stopped, the last good state keeps serving");
          break;
        }
        if (res.status !== 200) throw new Error(`console answered ${res.status}`);
        const parsed = parseDesiredState(text);
        if (!parsed.ok) {
          this.log(parsed.message);
          this.nodeError = parsed.message;
          await this.report([]);
          retry = true;
        } else {
          failures = 0;
          this.nodeError = null;
          try {
            await this.accept(parsed.state);
          } catch (error) {
            // An apply round that broke off (e.g. varnishd restarting under it): report it, and try again.
            this.nodeError = `apply failed: ${(error as Error).message.split("\n").slice(0, 3).join(" ")}`;
            this.log(this.nodeError);
            await this.report([]);
            retry = true;
          }
        }
      } catch (error) {
        if (this.stopped) break;
        this.log(`console unreachable: ${(error as Error).message}; the last good state keeps serving`);
        retry = true;
      } finally {
        clearTimeout(timer);
      }
      if (retry) {
        failures++;
        const base = Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5));
        await new Promise((r) => setTimeout(r, base / 2 + Math.random() * (base / 2)));
      }
    }
  }

  /** Runs `fn` after the apply round in progress (apply rounds, VCL reloads and re-resolves never overlap). */
  private serialized(fn: () => Promise<void>): Promise<void> {
    const run = this.applying.then(fn);
    this.applying = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async accept(state: DesiredState): Promise<void> {
    if (state.purges.length) {
      // Purges first and reported at once: they do not wait for an apply round (docs/edge.md "Purge").
      this.pendingPurges.push(...(await this.purges.apply(state.purges)));
      await this.report([]);
    }
    const current = new Map(Object.entries(this.p.desired));
    const merged = mergeDesiredState(current, state);
    this.p.desired = Object.fromEntries(merged);
    this.p.settings = state.settings;
    const touched = new Set<string>([...state.environments.map((e) => e.key), ...state.removed.map((id) => `e${id}`)]);
    if (state.full) for (const k of current.keys()) touched.add(k);
    this.save();
    const drain = state.node?.drain ?? false;
    const round = this.applying.then(async () => {
      await this.applyDrain(drain);
      const reports = await this.applyRound(touched);
      await this.applyHttps(reports);
      return reports;
    });
    this.applying = round.then(
      () => undefined,
      () => undefined,
    );
    const reports = await round;
    this.p.stateVersion = state.version;
    this.save();
    await this.report(reports);
  }

  /** Sends POST /api/edge/v1/report (docs/edge.md "Desired state"); failures are logged, never thrown. */
  async report(environments: EnvironmentReport[]): Promise<void> {
    if (this.revoked || this.stopped) return;
    const body = {
      version: this.p.stateVersion,
      ...(this.s.bindAddress ? { address: this.s.bindAddress } : {}),
      ports: { http: this.s.httpPort, https: this.s.httpsPort },
      tools: this.tools,
      error: this.nodeError,
      environments: [...this.pendingReport, ...environments],
      ...(this.pendingPurges.length ? { purges: this.pendingPurges } : {}),
    };
    const sentPurges = this.pendingPurges;
    this.pendingPurges = [];
    try {
      const res = await consoleRequest(new URL("/api/edge/v1/report", this.s.consoleUrl), {
        token: this.s.nodeToken,
        body: JSON.stringify(body),
        timeoutMs: 10_000,
      });
      if (res.status === 401) {
        this.revoked = true;
        this.pollAbort?.abort();
        this.log("the console refused this node's token (401): polling stopped, the last good state keeps serving");
      }
      this.pendingReport = res.status >= 200 && res.status < 300 ? [] : body.environments;
      if (res.status < 200 || res.status >= 300) this.pendingPurges = [...sentPurges, ...this.pendingPurges].slice(-5000);
    } catch (error) {
      this.pendingReport = body.environments.slice(-500);
      this.pendingPurges = [...sentPurges, ...this.pendingPurges].slice(-5000);
      this.log(`report not delivered: ${(error as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- apply

  /** The current applied view, for tests and the report: environment key → version and commit. */
  applied(): Record<string, { version: number; commit: string }> {
    return Object.fromEntries(Object.entries(this.p.active).map(([k, a]) => [k, { version: a.env.version, commit: a.env.commit }]));
  }

  private hopToken(key: string): string {
    this.p.hopTokens[key] ??= randomBytes(24).toString("base64url");
    return this.p.hopTokens[key];
  }

  private lastHop(key: string): HopAddress {
    this.p.lastHops[key] ??= this.allocatePort();
    return { host: this.s.internalAddress, port: this.p.lastHops[key] };
  }

  private async applyRound(touched: ReadonlySet<string>): Promise<EnvironmentReport[]> {
    const reports: EnvironmentReport[] = [];
    // Removed environments: drop routes, stop processes, discard VCL.
    const removed = Object.keys(this.p.active).filter((k) => !this.p.desired[k]);
    const prepared: { key: string; prev: Active | undefined; next: Active }[] = [];
    const todo = Object.entries(this.p.desired).filter(([key, env]) => {
      const prev = this.p.active[key];
      if (prev && prev.env.version === env.version && !touched.has(key)) return false;
      // Only the HTTPS part changed: nothing to prepare, applyHttps sends it through the Runtime API (docs/https.md).
      if (prev && prev.env.version !== env.version && sameExceptHttps(prev.env, env)) {
        prev.env = env;
        reports.push({
          environmentId: env.environmentId,
          version: env.version,
          status: "applied",
          servingCommit: env.commit,
          appliedAt: prev.appliedAt,
        });
        return false;
      }
      return !(prev && JSON.stringify(prev.env) === JSON.stringify(env));
    });
    // A few environments at a time: varnishd compiles one VCL at a time anyway, the rest (rendering, checks,
    // starting nginx/node, warming and labelling) overlaps. Results keep the desired state's order.
    type Prepared = { key: string; env: DesiredEnvironment } & ({ next: Active } | { error: ApplyError });
    const results = await inParallel(todo, PREPARE_CONCURRENCY, async ([key, env]): Promise<Prepared> => {
      try {
        return { key, env, next: await this.prepare(env) };
      } catch (error) {
        return { key, env, error: error instanceof ApplyError ? error : new ApplyError("agent", (error as Error).message) };
      }
    });
    for (const r of results) {
      if ("next" in r) prepared.push({ key: r.key, prev: this.p.active[r.key], next: r.next });
      else {
        this.log(`${r.key} v${r.env.version} refused by ${r.error.tool}: ${r.error.message}`);
        reports.push(this.failed(r.env, r.error));
      }
    }
    for (const { key, next } of prepared) this.p.active[key] = next;
    const removedActive = removed.map((k) => [k, this.p.active[k]] as const);
    for (const k of removed) delete this.p.active[k];
    await this.varnish.syncRouter();
    let commit = await this.commitHaproxy(this.activeHaproxyEnvs());
    if (!commit.ok) {
      this.log(`haproxy refused the new configuration: ${commit.message}`);
      // Find the environments HAProxy refuses: each one alone on top of what served before.
      for (const { key, prev, next } of prepared) {
        if (prev) this.p.active[key] = prev;
        else delete this.p.active[key];
        void next;
      }
      const base = await this.activeHaproxyEnvs();
      for (const item of prepared) {
        const trial = [...base.filter((e) => e.key !== item.key), await this.haproxyEnv(item.next)];
        const r = await this.checkHaproxy(trial);
        if (r.ok) this.p.active[item.key] = item.next;
        else {
          await this.discard(item.next, item.prev);
          reports.push(this.failed(item.next.env, new ApplyError("haproxy", r.message)));
        }
      }
      await this.varnish.syncRouter();
      commit = await this.commitHaproxy(this.activeHaproxyEnvs());
      if (!commit.ok) this.nodeError = `haproxy: ${commit.message}`;
    }
    // Health request through each new chain; a failing one goes back to its previous version.
    let rollback = false;
    for (const item of prepared) {
      if (this.p.active[item.key] !== item.next) continue;
      const health = await this.health(item.next);
      if (health) {
        rollback = true;
        if (item.prev) this.p.active[item.key] = item.prev;
        else delete this.p.active[item.key];
        await this.discard(item.next, item.prev);
        const said = item.next.processes
          .map((pr) => this.logTail(pr.name))
          .filter(Boolean)
          .join("\n");
        this.log(
          `${item.key} v${item.next.env.version} failed its health request: ${health}; ${item.prev ? `v${item.prev.env.version} keeps serving` : "not served"}`,
        );
        reports.push(this.failed(item.next.env, new ApplyError("health", said ? `${health}\n${said}` : health)));
        continue;
      }
      if (item.prev) await this.retire(item.prev, item.next);
      const e = item.next.env;
      this.log(
        `${item.key} v${e.version} applied: ${e.application ?? "?"} ${e.name ?? ""} @ ${e.commit.slice(0, 7)}, ${e.hostnames.length} hostname(s), chain ${e.chain.join(" → ") || "empty"}`,
      );
      reports.push({
        environmentId: item.next.env.environmentId,
        version: item.next.env.version,
        status: "applied",
        servingCommit: item.next.env.commit,
        appliedAt: item.next.appliedAt,
      });
    }
    if (rollback) {
      await this.varnish.syncRouter();
      await this.commitHaproxy(this.activeHaproxyEnvs());
    }
    for (const [key, a] of removedActive) {
      await this.retire(a, null);
      this.freePorts([this.p.lastHops[key]]);
      delete this.p.lastHops[key];
      delete this.p.hopTokens[key];
      fs.rmSync(path.join(this.dirs.envs, key), { recursive: true, force: true });
      this.log(`${key} removed: no longer served`);
      reports.push({ environmentId: a.env.environmentId, version: a.env.version, status: "removed", servingCommit: null });
    }
    this.save();
    if (haveTool("varnishd")) await this.varnish.sweep();
    return reports;
  }

  /** The HTTPS part of every desired environment (docs/https.md "Edge side"). */
  private httpsEnvs() {
    return Object.values(this.p.desired).map(httpsOf);
  }

  /**
   * Applies certificates, HTTP-01 answers and redirects to the running HAProxy through its Runtime API (a reload when
   * a command is refused; the files are written either way) and lists in each report entry the environment's tokens
   * this node answers now (docs/edge.md "Challenges").
   */
  private async applyHttps(reports: EnvironmentReport[]): Promise<void> {
    const envs = this.httpsEnvs();
    if (this.supervisor.pid("haproxy") !== null) {
      const r = await this.https.apply(envs, path.join(this.dirs.haproxy, "admin.sock"));
      if (r.reload) {
        this.log(`https: ${r.errors.join("; ")}: reloading`);
        await this.reloadHaproxy();
      }
    } else this.https.writeFiles(envs);
    // Certificates left out (docs/https.md "Edge side"): said in the log and as the node's error for operators.
    const refused = this.https.refused.length ? `https: certificates left out: ${this.https.refused.join("; ")}` : null;
    if (refused && refused !== this.nodeError) this.log(refused);
    if (refused) this.nodeError ??= refused;
    else if (this.nodeError?.startsWith("https: certificates left out")) this.nodeError = null;
    for (const r of reports) r.acmeChallenges = this.https.tokensFor(r.environmentId);
  }

  private failed(env: DesiredEnvironment, e: ApplyError): EnvironmentReport {
    const serving = this.p.active[env.key];
    return {
      environmentId: env.environmentId,
      version: env.version,
      status: "failed",
      servingCommit: serving ? serving.env.commit : null,
      tool: e.tool,
      message: e.message.slice(0, 2000),
    };
  }

  /** Renders, checks and activates one environment's chain (not yet routed by HAProxy). Throws ApplyError. */
  private async prepare(env: DesiredEnvironment): Promise<Active> {
    const lastHop = this.lastHop(env.key);
    const hopToken = this.hopToken(env.key);
    if (env.chain.length === 0) {
      return { env, entry: lastHop, modulePorts: [], processes: [], vclName: null, vclPath: null, appliedAt: new Date().toISOString() };
    }
    const modulePorts: number[] = [];
    const listen: HopAddress[] = env.chain.map((m) => {
      if (m === "varnish") return this.varnishAddress;
      const port = this.allocatePort();
      modulePorts.push(port);
      return { host: this.s.internalAddress, port };
    });
    const dir = path.join(this.dirs.envs, env.key, `${env.version}-${Date.now().toString(36)}`);
    lockEnvironmentFolder(path.join(this.dirs.envs, env.key), env.environmentId);
    const vclName = `${env.key}_v${env.version}_${Date.now().toString(36)}`;
    const input = {
      key: env.key,
      chain: env.chain,
      files: env.files,
      listen,
      lastHop,
      varnish: this.varnishAddress,
      hopToken,
      allowCodeModules: this.p.settings.allowCodeModules,
      dir,
      vclName,
    };
    const started: string[] = [];
    try {
      const rendered = await renderChain(input);
      if (!rendered.ok) throw new ApplyError(rendered.tool, rendered.message);
      // varnishd compiles the VCL once, in vcl.load below (loadTenantVcl), not also in a `varnishd -C` check.
      const checked = await checkChain(rendered, input, { compileVarnish: false });
      if (!checked.ok) throw new ApplyError(checked.tool, checked.message);
      let loaded: string | null = null;
      let flatVcl: string | null = null;
      if (rendered.varnish) {
        // vcc_unsafe_path=off allows no "/" in vcl.load names: a flat copy in the vcl_path folder is loaded.
        flatVcl = this.varnish.writeVcl(`${vclName}.vcl`, fs.readFileSync(rendered.varnish.vclPath, "utf8"));
        const at = env.chain.indexOf("varnish");
        await this.varnish.loadTenantVcl(vclName, listen[at + 1] ?? lastHop);
        loaded = vclName;
      }
      const processes: Active["processes"] = [];
      // Code modules run in the sandbox, each behind its bridge (edge/agent/sandbox.ts, docs/edge.md "Files and users").
      const specs = await this.placeProcesses(env, input, rendered.processes);
      for (const [i, spec] of specs.entries()) {
        const name = `${env.key}-${spec.module}-${i}${spec.bridge ? "-bridge" : ""}-${path.basename(dir)}`;
        this.chownForUser(spec, dir);
        this.supervisor.ensure(this.managed(name, spec));
        started.push(name);
        const where = spec.readySocket ?? `${spec.listen.host}:${spec.listen.port}`;
        const ready = spec.readySocket
          ? await waitForSocket(spec.readySocket, 10_000)
          : await waitForPort(spec.listen.host, spec.listen.port, 10_000);
        if (!ready) {
          const said = this.logTail(name);
          throw new ApplyError(
            spec.bridge ? "agent" : spec.module === "nodejs" ? "node" : "nginx",
            `${spec.module}${spec.bridge ? "'s sandbox bridge" : ""} did not start listening on ${where}${said ? `: ${said}` : ""}`,
          );
        }
        processes.push({ name, spec });
      }
      if (loaded) {
        await this.varnish.adm(["vcl.state", loaded, "warm"]);
        await this.varnish.adm(["vcl.label", labelFor(env.key), loaded]);
      }
      return { env, entry: listen[0], modulePorts, processes, vclName: loaded, vclPath: flatVcl, appliedAt: new Date().toISOString() };
    } catch (error) {
      for (const name of started) await this.supervisor.stop(name);
      this.freePorts(modulePorts);
      await this.varnish.adm(["vcl.discard", vclName]).catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(path.join(this.dirs.vcl, `${vclName}.vcl`), { force: true });
      throw error;
    }
  }

  /** The last lines a managed process wrote (for a report's message), or "". */
  private logTail(name: string): string {
    try {
      return fs
        .readFileSync(path.join(this.dirs.run, `${name}.log`), "utf8")
        .trim()
        .split("\n")
        .slice(-3)
        .join("\n");
    } catch {
      return "";
    }
  }

  /** Undoes a prepared version that will not serve: label back to `prev`'s VCL, its processes stopped. */
  private async discard(next: Active, prev: Active | undefined): Promise<void> {
    if (next.vclName) {
      if (prev?.vclName) await this.varnish.adm(["vcl.label", labelFor(next.env.key), prev.vclName]).catch(() => {});
      await this.varnish.adm(["vcl.discard", next.vclName]).catch(() => {});
      if (next.vclPath) fs.rmSync(next.vclPath, { force: true });
    }
    for (const pr of next.processes) await this.supervisor.stop(pr.name);
    this.freePorts(next.modulePorts);
    this.removeVersionFolder(next, prev ?? null);
  }

  /** Removes `gone`'s version folder (rendered files, sandbox sockets) once its processes stopped, unless `kept` uses it. */
  private removeVersionFolder(gone: Active, kept: Active | null): void {
    const folder = path.join(this.dirs.envs, gone.env.key);
    const dir = versionFolderOf(
      folder,
      gone.processes.map((p) => p.spec.cwd),
    );
    if (dir && dir !== versionFolderOf(folder, kept?.processes.map((p) => p.spec.cwd) ?? []))
      fs.rmSync(dir, { recursive: true, force: true });
  }

  /** Stops an old version after the switch (`next` null: the environment is gone). */
  private async retire(old: Active, next: Active | null): Promise<void> {
    for (const pr of old.processes) await this.supervisor.stop(pr.name);
    this.freePorts(old.modulePorts);
    this.removeVersionFolder(old, next);
    if (old.vclName && old.vclName !== next?.vclName) {
      if (!next?.vclName) await this.varnish.adm(["vcl.discard", labelFor(old.env.key)]).catch(() => {});
      await this.varnish.adm(["vcl.discard", old.vclName]).catch(() => {});
      if (old.vclPath) fs.rmSync(old.vclPath, { force: true });
    }
  }

  /**
   * What to start for one environment's rendered processes, in order. As root every process runs as a user of
   * its environment (edge/agent/sandbox.ts); code modules in the sandbox, or refused with tool `agent` when this
   * node cannot make it, unless EDGE_UNSAFE_NO_SANDBOX=true. Throws ApplyError.
   */
  private async placeProcesses(
    env: DesiredEnvironment,
    input: { chain: readonly string[]; listen: HopAddress[]; lastHop: HopAddress; files: Record<string, string>; dir: string },
    processes: readonly ProcessSpec[],
  ): Promise<RunSpec[]> {
    if (processes.length === 0) return [];
    const code = processes.find((p) => SANDBOXED_MODULES.includes(p.module));
    const sandbox = await sandboxSupport();
    if (!sandbox.ok && code) {
      if (!this.s.unsafeNoSandbox) throw new ApplyError("agent", noSandboxMessage(code.module, sandbox.reason));
      this.log(`${env.key}: ${code.module} runs WITHOUT the sandbox (EDGE_UNSAFE_NO_SANDBOX=true): ${sandbox.reason}`);
    }
    if (!this.isRoot) return [...processes];
    const placed = await sandboxProcesses(
      { environmentId: env.environmentId, ...input, proxyUid: userIds("edge-proxy")?.uid ?? null, netns: sandbox.ok },
      processes,
    );
    if (!placed.ok) throw new ApplyError(placed.tool, placed.message);
    return placed.specs;
  }

  private chownForUser(spec: ProcessSpec, dir: string): void {
    const runAs = (spec as RunSpec).runAs;
    const ids = runAs ?? (this.isRoot ? userIds(spec.user === "proxy" ? "edge-proxy" : "edge-tenant") : null);
    if (!ids || !this.isRoot) return;
    const targets = runAs ? (spec.writable ?? []) : spec.user === "proxy" ? (spec.writable ?? [dir]) : [];
    const chown = (p: string) => {
      fs.chownSync(p, ids.uid, ids.gid);
      if (fs.statSync(p).isDirectory()) for (const f of fs.readdirSync(p)) chown(path.join(p, f));
    };
    for (const t of targets) chown(t);
  }

  private managed(name: string, spec: ProcessSpec): ManagedProcess {
    const runAs = (spec as RunSpec).runAs;
    if (runAs && this.isRoot) {
      const inSocket = runAs.inSocket;
      return {
        name,
        command: spec.command,
        args: spec.args,
        env: spec.env,
        cwd: spec.cwd,
        // setpriv (and unshare for the sandbox) drop to the environment's user; without setpriv, Node's spawn does.
        ...startAs(runAs),
        ...(inSocket ? { beforeStart: () => fs.rmSync(inSocket, { force: true }) } : {}),
      };
    }
    const ids = this.isRoot ? userIds(spec.user === "proxy" ? "edge-proxy" : "edge-tenant") : null;
    return {
      name,
      command: spec.command,
      args: spec.args,
      env: spec.env,
      cwd: spec.cwd,
      ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
    };
  }

  /** Sends the health request (docs/edge.md "Applying, on the node" step 5). Returns null when it passed, else why. */
  private async health(a: Active): Promise<string | null> {
    // A reload's new worker may still be binding: the last hop and the chain entry must accept first (≤ 5 s).
    const lastHop = this.lastHop(a.env.key);
    if (!(await waitForPort(lastHop.host, lastHop.port, 5000)))
      return `the last hop ${lastHop.host}:${lastHop.port} does not accept connections`;
    if (!(await waitForPort(a.entry.host, a.entry.port, 5000)))
      return `the chain entry ${a.entry.host}:${a.entry.port} does not accept connections`;
    return this.healthRequest(a);
  }

  /** True when HAProxy reaches `a`'s chain over varnishd's socket (the chain starts with varnish). */
  private viaVarnishSocket(a: Active): boolean {
    return this.varnish.socket !== null && a.env.chain[0] === "varnish" && a.vclName !== null;
  }

  private healthRequest(a: Active): Promise<string | null> {
    const nonce = randomBytes(12).toString("hex");
    // The way HAProxy enters the chain: varnishd's socket, or the entry's TCP address.
    const to = this.viaVarnishSocket(a) ? { socketPath: this.varnish.socket! } : { host: a.entry.host, port: a.entry.port };
    return new Promise((resolve) => {
      const req = http.request(
        {
          ...to,
          path: "/.edge/health",
          headers: {
            host: a.env.hostnames[0] ?? `${a.env.key}.invalid`,
            "x-edge-hop": this.hopToken(a.env.key),
            "x-edge-health": nonce,
            "x-request-id": `health-${nonce}`,
          },
          timeout: 5000,
        },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (body += d));
          res.on("end", () =>
            resolve(
              res.statusCode === 200 && body.trim() === nonce ? null : `the health request got ${res.statusCode} instead of the nonce`,
            ),
          );
        },
      );
      req.on("timeout", () => req.destroy(new Error("timed out after 5 s")));
      req.on("error", (e) => resolve(`the health request failed: ${e.message}`));
      req.end();
    });
  }

  // ---------------------------------------------------------------- haproxy

  private async ensureDefaultCertificate(): Promise<void> {
    const pem = path.join(this.dirs.haproxy, "default.pem");
    if (!fs.existsSync(pem)) {
      const key = path.join(this.dirs.haproxy, "default.key");
      const crt = path.join(this.dirs.haproxy, "default.crt");
      const r = await run("openssl", [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        crt,
        "-days",
        "3650",
        "-subj",
        "/CN=edge-default",
      ]);
      if (r.code !== 0) throw new Error(`openssl could not make the default certificate: ${r.out}`);
      fs.writeFileSync(pem, fs.readFileSync(crt, "utf8") + fs.readFileSync(key, "utf8"), { mode: 0o600 });
      fs.rmSync(key);
      fs.rmSync(crt);
    }
    fs.writeFileSync(path.join(this.dirs.haproxy, "crt-list.txt"), `${pem}\n`, { mode: 0o600 });
  }

  private async haproxyEnv(a: Active): Promise<HaproxyEnvironment> {
    const opts = { allowPrivate: this.p.settings.allowPrivateOrigins, edgeAddresses: this.p.settings.edgeAddresses, own: this.own() };
    const origins: RenderedOrigin[] = [
      { name: null, origin: a.env.origin, resolution: await resolveOrigin(this.resolver, a.env.origin, opts) },
    ];
    for (const [name, origin] of Object.entries(a.env.alternateOrigins)) {
      origins.push({ name, origin, resolution: await resolveOrigin(this.resolver, origin, opts) });
    }
    for (const o of origins) if (!o.resolution.ok) this.log(`${a.env.key} origin ${o.name ?? "default"} refused: ${o.resolution.reason}`);
    return {
      key: a.env.key,
      hostnames: a.env.hostnames,
      hopToken: this.hopToken(a.env.key),
      secret: a.env.secret,
      entry: this.viaVarnishSocket(a) ? { ...a.entry, socket: this.varnish.socket! } : a.entry,
      lastHop: this.lastHop(a.env.key),
      ipBlacklist: a.env.ipBlacklist,
      origins,
      errorPages: {
        ...(a.env.files["custom_errors/502.html"] ? { "502": a.env.files["custom_errors/502.html"] } : {}),
        ...(a.env.files["custom_errors/503.html"] ? { "503": a.env.files["custom_errors/503.html"] } : {}),
      },
    };
  }

  private activeHaproxyEnvs(): Promise<HaproxyEnvironment[]> {
    return Promise.all(Object.values(this.p.active).map((a) => this.haproxyEnv(a)));
  }

  private haproxyGlobal() {
    return {
      dir: this.dirs.haproxy,
      bindAddress: this.s.bindAddress,
      httpPort: this.s.httpPort,
      httpsPort: this.s.httpsPort,
      user: this.isRoot && userIds("edge-proxy") ? "edge-proxy" : null,
      threads: HAPROXY_THREADS,
      // EDGE_ORIGIN_CA_FILE: CAs trusted for HTTPS origins besides the system's (docs/edge.md "One request").
      caFile: originCaFile(this.dirs.haproxy, process.env.EDGE_ORIGIN_CA_FILE),
      https: this.https.paths,
      metricsLog: this.metrics.target,
      hold: this.holdTarget,
    };
  }

  private writeHaproxyFiles(files: Record<string, string>): void {
    fs.mkdirSync(path.join(this.dirs.haproxy, "files"), { recursive: true, mode: 0o700 });
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(this.dirs.haproxy, rel);
      if (!fs.existsSync(file)) fs.writeFileSync(file, content, { mode: 0o600 });
    }
  }

  private async checkHaproxy(
    envsOrPromise: HaproxyEnvironment[] | Promise<HaproxyEnvironment[]>,
  ): Promise<{ ok: true } | { ok: false; message: string }> {
    const rendered = renderHaproxy(this.haproxyGlobal(), await envsOrPromise);
    this.writeHaproxyFiles(rendered.files);
    const file = path.join(this.dirs.haproxy, "haproxy.check.cfg");
    fs.writeFileSync(file, rendered.config, { mode: 0o600 });
    const mapFile = path.join(this.dirs.haproxy, "hosts.map");
    if (!fs.existsSync(mapFile)) fs.writeFileSync(mapFile, "", { mode: 0o600 });
    this.writeNodeMap();
    const r = await run("haproxy", ["-c", "-f", file]);
    return r.code === 0 ? { ok: true } : { ok: false, message: haproxyErrors(r.out) };
  }

  /**
   * Makes HAProxy serve `envs`: host-map changes alone go through the Runtime API; any other change is checked
   * with `haproxy -c` and applied by a master-worker reload (docs/edge.md "Applying, on the node" step 4).
   */
  private async commitHaproxy(
    envsOrPromise: HaproxyEnvironment[] | Promise<HaproxyEnvironment[]>,
  ): Promise<{ ok: true } | { ok: false; message: string }> {
    const envs = await envsOrPromise;
    const rendered = renderHaproxy(this.haproxyGlobal(), envs);
    this.writeHaproxyFiles(rendered.files);
    const cfg = path.join(this.dirs.haproxy, "haproxy.cfg");
    const mapFile = path.join(this.dirs.haproxy, "hosts.map");
    const oldConfig = fs.existsSync(cfg) ? fs.readFileSync(cfg, "utf8") : null;
    const oldMap = fs.existsSync(mapFile) ? fs.readFileSync(mapFile, "utf8") : "";
    const running = this.supervisor.pid("haproxy") !== null || this.adoptHaproxy();
    if (running && oldConfig === rendered.config) {
      if (oldMap === rendered.hostsMap) return { ok: true };
      fs.writeFileSync(`${mapFile}.tmp`, rendered.hostsMap, { mode: 0o600 });
      fs.renameSync(`${mapFile}.tmp`, mapFile);
      try {
        await applyMapChanges(path.join(this.dirs.haproxy, "admin.sock"), mapFile, parseHostsMap(oldMap), parseHostsMap(rendered.hostsMap));
        return { ok: true };
      } catch (error) {
        this.log(`runtime map change failed (${(error as Error).message}): reloading`);
        return this.reloadHaproxy();
      }
    }
    const check = path.join(this.dirs.haproxy, "haproxy.new.cfg");
    fs.writeFileSync(check, rendered.config, { mode: 0o600 });
    fs.writeFileSync(`${mapFile}.new`, rendered.hostsMap, { mode: 0o600 });
    if (!fs.existsSync(mapFile)) fs.writeFileSync(mapFile, "", { mode: 0o600 });
    this.writeNodeMap();
    const r = await run("haproxy", ["-c", "-f", check]);
    if (r.code !== 0) return { ok: false, message: haproxyErrors(r.out) };
    fs.renameSync(`${mapFile}.new`, mapFile);
    fs.renameSync(check, cfg);
    if (!running) return this.startHaproxy();
    return this.reloadHaproxy();
  }

  /**
   * Writes `haproxy/node.map` (`drain 0|1`) from the persisted drain flag when it differs; the public frontend's
   * health answer reads it (docs/edge.md "Drain and the node's health"). Returns true when the file changed.
   */
  private writeNodeMap(): boolean {
    const file = path.join(this.dirs.haproxy, "node.map");
    const text = `drain ${this.p.drain ? 1 : 0}\n`;
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return false;
    fs.writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
    return true;
  }

  /**
   * Applies the console's `node.drain` (docs/edge.md "Drain and the node's health"): the node keeps serving every
   * request and connection; only its health answer turns 503 `draining` (or back to 200), changed in the running
   * HAProxy through the Runtime API (`set map`), with a reload as the fallback.
   */
  private async applyDrain(drain: boolean): Promise<void> {
    if ((this.p.drain ?? false) === drain && !this.writeNodeMap()) return;
    this.p.drain = drain;
    this.save();
    this.writeNodeMap();
    this.log(
      drain
        ? `drained: ${NODE_HEALTH_PATH} answers 503 draining (traffic is still served until DNS moves it away)`
        : `not drained: ${NODE_HEALTH_PATH} answers 200`,
    );
    if (this.supervisor.pid("haproxy") === null) return;
    const map = path.join(this.dirs.haproxy, "node.map");
    const out = await haproxyCommand(path.join(this.dirs.haproxy, "admin.sock"), `set map ${map} drain ${drain ? 1 : 0}`, 2000).catch(
      (e: Error) => `failed: ${e.message}`,
    );
    if (out.trim() === "") return;
    this.log(`runtime drain change (${out.trim()}): reloading haproxy`);
    const r = await this.reloadHaproxy();
    if (!r.ok) this.log(`haproxy: ${r.message}`);
  }

  private haproxySpec(): ManagedProcess {
    return {
      name: "haproxy",
      command: "haproxy",
      args: ["-W", "-S", `${path.join(this.dirs.haproxy, "master.sock")},mode,600`, "-f", path.join(this.dirs.haproxy, "haproxy.cfg")],
      onRestart: async () => {
        if (!(await waitForPort(this.s.bindAddress ?? "127.0.0.1", this.s.httpPort, 10_000)))
          throw new Error("haproxy did not bind its ports");
        this.log("haproxy restarted with the current configuration");
      },
    };
  }

  private adoptHaproxy(): boolean {
    try {
      const pid = Number(fs.readFileSync(path.join(this.dirs.run, "haproxy.pid"), "utf8"));
      if (!isExpectedProcess(pid, "haproxy")) return false;
      this.supervisor.ensure(this.haproxySpec());
      this.log("adopted the running haproxy");
      return true;
    } catch {
      return false;
    }
  }

  private async startHaproxy(): Promise<{ ok: true } | { ok: false; message: string }> {
    this.supervisor.ensure(this.haproxySpec());
    if (await waitForPort(this.s.bindAddress ?? "127.0.0.1", this.s.httpPort, 10_000)) return { ok: true };
    const log = fs.readFileSync(path.join(this.dirs.run, "haproxy.log"), "utf8").split("\n").slice(-6).join("\n");
    return { ok: false, message: `haproxy did not start: ${log}` };
  }

  private async workerPid(): Promise<string> {
    const info = await haproxyCommand(path.join(this.dirs.haproxy, "admin.sock"), "show info", 2000).catch(() => "");
    return /^Pid: (\d+)/m.exec(info)?.[1] ?? "";
  }

  private async reloadHaproxy(): Promise<{ ok: true } | { ok: false; message: string }> {
    const before = await this.workerPid();
    // The worker about to become old: its counters read now are nearly final (docs/traffic.md "Counters").
    await this.metrics.readCounters();
    try {
      await haproxyCommand(path.join(this.dirs.haproxy, "master.sock"), "reload", 5000);
    } catch (error) {
      return { ok: false, message: `haproxy reload failed: ${(error as Error).message}` };
    }
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      const now = await this.workerPid();
      if (now && now !== before) {
        // The new worker gets its hold, and the old one is let go once it is drained and read.
        void this.metrics.readCounters();
        return { ok: true };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return { ok: false, message: "haproxy reload did not bring up a new worker within 10 s" };
  }

  private async refreshOrigins(): Promise<void> {
    if (this.stopped) return;
    const r = await this.commitHaproxy(this.activeHaproxyEnvs());
    if (!r.ok) this.log(`haproxy after re-resolving origins: ${r.message}`);
  }
}
