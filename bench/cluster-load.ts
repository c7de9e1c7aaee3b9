import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { percentile } from "./stats";

// The load of `npm run bench -- cluster` (bench/cluster.ts): a round-robin load balancer over the console instances
// and virtual users that drive the main flows through the REST API and git over HTTP, each with its own API token.
// Every request is counted under its flow; an answer with another status than the flow expects, or a network error,
// is a client error, unless the request was in flight on an instance at the moment that instance was killed.

const run = promisify(execFile);

/** One console instance behind the balancer. */
export type Instance = { name: string; base: string; up: boolean; inflight: Set<Attempt>; probing: boolean };
/** A request (or git command) sent to one instance; `killed` is set when its instance is killed while it runs. */
type Attempt = { killed: boolean };

/** Thrown when a request of an iteration failed: the virtual user abandons the iteration and starts the next. */
class FlowFailed extends Error {}

/** A round-robin balancer that takes an instance out at its first refused connection and back when /api/health answers. */
export class Balancer {
  private turn = 0;
  constructor(readonly instances: Instance[]) {}

  /** The next instance that is up (waits while none is). */
  async pick(): Promise<Instance> {
    for (;;) {
      for (let i = 0; i < this.instances.length; i++) {
        const instance = this.instances[this.turn++ % this.instances.length];
        if (instance.up) return instance;
      }
      await sleep(100);
    }
  }

  /** Takes `instance` out and probes /api/health every 250 ms until it answers 200. */
  markDown(instance: Instance): void {
    instance.up = false;
    if (instance.probing) return;
    instance.probing = true;
    void (async () => {
      for (;;) {
        await sleep(250);
        const ok = await fetch(`${instance.base}/api/health`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
      }
      instance.probing = false;
      instance.up = true;
    })();
  }

  /**
   * Marks every request in flight on `instance` as killed and takes the instance out, as a balancer's health check
   * would (call it right before killing the instance): a request sent after the kill on a pooled keep-alive connection
   * would otherwise meet the closed socket (UND_ERR_SOCKET), which is neither a refusal nor a request in flight.
   */
  markKilled(instance: Instance): number {
    for (const attempt of instance.inflight) attempt.killed = true;
    this.markDown(instance);
    return instance.inflight.size;
  }
}

/** Per-flow figures of a run. */
export type FlowStats = {
  flow: string;
  requests: number;
  errors: number;
  killed: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
};

/** What the load saw: latencies per flow, client errors (with their first examples) and killed in-flight requests. */
export class LoadRecorder {
  private times = new Map<string, number[]>();
  private errorCounts = new Map<string, number>();
  private killedCounts = new Map<string, number>();
  readonly examples: string[] = [];
  refusedRetries = 0;
  verifyRetries = 0;
  deletesKilled = 0;
  createsKilled = 0;

  ok(flow: string, ms: number): void {
    const list = this.times.get(flow) ?? [];
    list.push(ms);
    this.times.set(flow, list);
  }

  error(flow: string, what: string): void {
    this.errorCounts.set(flow, (this.errorCounts.get(flow) ?? 0) + 1);
    if (this.examples.length < 20) this.examples.push(`${new Date().toISOString()} ${flow}: ${what}`);
  }

  killed(flow: string): void {
    this.killedCounts.set(flow, (this.killedCounts.get(flow) ?? 0) + 1);
    if (flow === "create application") this.createsKilled++;
    if (flow === "delete application") this.deletesKilled++;
  }

  get requests(): number {
    return [...this.times.values()].reduce((s, l) => s + l.length, 0) + this.errors + this.killedTotal;
  }
  get errors(): number {
    return [...this.errorCounts.values()].reduce((s, n) => s + n, 0);
  }
  get killedTotal(): number {
    return [...this.killedCounts.values()].reduce((s, n) => s + n, 0);
  }

  /** Figures per flow, in the order flows were first seen, then `all`. */
  stats(): FlowStats[] {
    const flows = [...new Set([...this.times.keys(), ...this.errorCounts.keys(), ...this.killedCounts.keys()])];
    const round = (n: number) => Math.round(n * 10) / 10;
    const one = (flow: string, times: number[], errors: number, killed: number): FlowStats => {
      const sorted = [...times].sort((a, b) => a - b);
      return {
        flow,
        requests: times.length + errors + killed,
        errors,
        killed,
        p50Ms: round(percentile(sorted, 50)),
        p95Ms: round(percentile(sorted, 95)),
        p99Ms: round(percentile(sorted, 99)),
        maxMs: round(sorted.at(-1) ?? 0),
      };
    };
    const rows = flows.map((f) => one(f, this.times.get(f) ?? [], this.errorCounts.get(f) ?? 0, this.killedCounts.get(f) ?? 0));
    rows.push(one("all", [...this.times.values()].flat(), this.errors, this.killedTotal));
    return rows;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True for a connection refused before anything was sent (the balancer retries those elsewhere). */
function refused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === "ECONNREFUSED";
}

/** One API call through the balancer, timed under `flow`; answers other than `expect` fail the iteration. */
async function call(
  ctx: { lb: Balancer; rec: LoadRecorder; token: string },
  flow: string,
  method: string,
  apiPath: string,
  options: { body?: unknown; contentType?: string; headers?: Record<string, string>; expect?: number[] } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const started = performance.now();
  for (;;) {
    const instance = await ctx.lb.pick();
    const attempt: Attempt = { killed: false };
    instance.inflight.add(attempt);
    try {
      const res = await fetch(`${instance.base}/api/v1${apiPath}`, {
        method,
        headers: {
          authorization: `Bearer ${ctx.token}`,
          ...(options.body === undefined ? {} : { "content-type": options.contentType ?? "application/json" }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      if (!(options.expect ?? [200]).includes(res.status)) {
        if (attempt.killed) ctx.rec.killed(flow);
        else ctx.rec.error(flow, `${method} ${apiPath} → ${res.status} on ${instance.name}: ${text.slice(0, 300)}`);
        throw new FlowFailed(flow);
      }
      ctx.rec.ok(flow, performance.now() - started);
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null, headers: res.headers };
    } catch (error) {
      if (error instanceof FlowFailed) throw error;
      if (attempt.killed) {
        ctx.rec.killed(flow);
        throw new FlowFailed(flow);
      }
      if (refused(error)) {
        ctx.rec.refusedRetries++;
        ctx.lb.markDown(instance);
        continue;
      }
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      ctx.rec.error(flow, `${method} ${apiPath} on ${instance.name}: ${String(error)} ${cause?.code ?? cause?.message ?? ""}`);
      throw new FlowFailed(flow);
    } finally {
      instance.inflight.delete(attempt);
    }
  }
}

/** Runs git with `args` through the balancer (`url(base)` builds the remote), timed under `flow`. */
async function git(
  ctx: { lb: Balancer; rec: LoadRecorder; token: string },
  flow: string,
  url: (base: string) => string,
  args: (remote: string) => string[],
  cwd: string,
): Promise<void> {
  const started = performance.now();
  const auth = Buffer.from(`token:${ctx.token}`).toString("base64");
  for (;;) {
    const instance = await ctx.lb.pick();
    const attempt: Attempt = { killed: false };
    instance.inflight.add(attempt);
    try {
      await run("git", ["-c", `http.extraHeader=Authorization: Basic ${auth}`, ...args(url(instance.base))], {
        cwd,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: cwd,
          LANG: "C.UTF-8",
          GIT_TERMINAL_PROMPT: "0",
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_AUTHOR_NAME: "Bench",
          GIT_AUTHOR_EMAIL: "bench@cluster.test",
          GIT_COMMITTER_NAME: "Bench",
          GIT_COMMITTER_EMAIL: "bench@cluster.test",
          NODE_ENV: "production",
        },
      });
      ctx.rec.ok(flow, performance.now() - started);
      return;
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? error);
      if (attempt.killed) {
        ctx.rec.killed(flow);
        throw new FlowFailed(flow);
      }
      if (/Connection refused|Couldn't connect|Failed to connect/i.test(stderr)) {
        ctx.rec.refusedRetries++;
        ctx.lb.markDown(instance);
        continue;
      }
      ctx.rec.error(flow, `git ${args("<remote>")[0]} on ${instance.name}: ${stderr.trim().slice(0, 300)}`);
      throw new FlowFailed(flow);
    } finally {
      instance.inflight.delete(attempt);
    }
  }
}

/** The kinds of hostname a user adds: pointed at the edge after creation (CNAME), elsewhere (A), missing (NXDOMAIN). */
export const HOST_KINDS = ["live", "away", "gone"] as const;

/** What a virtual user needs: its number, token and account, the balancer, the recorder, and how to point a name. */
export type VirtualUser = {
  n: number;
  token: string;
  accountId: number;
  zone: string;
  lb: Balancer;
  rec: LoadRecorder;
  /** Publishes `CNAME <hostname>.<edge suffix>` for `hostname` on the loopback DNS server; resolves once served. */
  pointAtEdge: (hostname: string) => Promise<void>;
  edgeSuffix: string;
};

type App = { id: number; repoName: string };

/**
 * One iteration of the main flows for user `u` (its `seq`-th): create an application, read it, add a domain, point
 * the first hostname at the edge and Verify now (one in three), read the domain, patch Production's configuration,
 * then either push a commit over git HTTP (even iterations) or create Staging, patch it and promote it (odd
 * iterations), read the account and lists, and delete the user's oldest application once it holds more than three.
 */
async function iteration(u: VirtualUser, seq: number, apps: App[]): Promise<void> {
  const ctx = { lb: u.lb, rec: u.rec, token: u.token };
  const acc = `/account/${u.accountId}`;
  const host = (prefix: string, k: number) => `${prefix}${u.n}x${seq}.${HOST_KINDS[k % 3]}.${u.zone}`;
  const h1 = host("a", seq);
  const created = await call(ctx, "create application", "POST", `${acc}/application/create`, {
    body: { hostname: h1, origin: "198.51.100.7" },
  });
  const app = created.body as { id: number; application_name: string };
  const repoName = h1;
  apps.push({ id: app.id, repoName });
  const appPath = `${acc}/application/${app.id}`;
  await call(ctx, "read application", "GET", appPath);
  await call(ctx, "add domain", "POST", `${appPath}/environment/Production/domain/${host("b", seq + 1)}`);
  if (seq % 3 === 0) {
    await u.pointAtEdge(h1);
    // A worker may hold the new domain's lease (it is due at once) and answer `checked: false`: ask again.
    for (let tries = 1; ; tries++) {
      const verified = await call(ctx, "verify now", "GET", `${acc}/domain/${h1}/verifyEngaged`);
      const answer = verified.body as { is_engaged: boolean; checked: boolean };
      if (answer.is_engaged) break;
      if (answer.checked || tries === 10) {
        u.rec.error("verify now", `${h1} is not live after its CNAME (checked: ${answer.checked}, try ${tries})`);
        break;
      }
      u.rec.verifyRetries++;
      await sleep(1000);
    }
  }
  await call(ctx, "read domain", "GET", `${acc}/domain/${host("b", seq + 1)}`);
  await patchConfig(ctx, `${appPath}/environment/Production`, "Production", 8000 + (seq % 1000));

  if (seq % 2 === 0) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-cluster-git-"));
    try {
      const url = (base: string) => `${base}/git/account/${u.accountId}/application/${app.id}/${encodeURIComponent(repoName)}.git`;
      await git(ctx, "git clone", url, (remote) => ["clone", "--quiet", "--branch", "Production", remote, "work"], dir);
      const work = path.join(dir, "work");
      const file = path.join(work, "section.config.json");
      const config = JSON.parse(fs.readFileSync(file, "utf8")) as { environments: Record<string, { origin: Record<string, unknown> }> };
      config.environments.Production.origin.port = 9000 + (seq % 1000);
      fs.writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
      await run("git", ["-c", "user.name=Bench", "-c", "user.email=bench@cluster.test", "commit", "--quiet", "-am", `port ${seq}`], {
        cwd: work,
      });
      await git(ctx, "git push", url, (remote) => ["push", "--quiet", remote, "HEAD:Production"], work);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } else {
    await call(ctx, "create environment", "POST", `${appPath}/environment/create`, {
      body: { name: "Staging", source_environment_name: "Production", domain_name: host("s", seq + 2) },
    });
    await patchConfig(ctx, `${appPath}/environment/Staging`, "Staging", 7000 + (seq % 1000));
    await call(ctx, "promote", "POST", `${appPath}/environment/Staging/promote`);
  }
  await call(ctx, "read account", "GET", acc);
  await call(ctx, "list applications", "GET", `${acc}/application`);
  await call(ctx, "list environments", "GET", `${appPath}/environment`);
  if (apps.length > 3) {
    const oldest = apps.shift()!;
    await call(ctx, "delete application", "DELETE", `${acc}/application/${oldest.id}`, { expect: [204] });
  }
}

/** Reads an environment's configuration (ETag) and patches its origin port with If-Match. */
async function patchConfig(ctx: { lb: Balancer; rec: LoadRecorder; token: string }, envPath: string, env: string, port: number) {
  const read = await call(ctx, "read configuration", "GET", `${envPath}/configuration`);
  await call(ctx, "patch configuration", "PATCH", `${envPath}/configuration`, {
    body: [{ op: "add", path: `/environments/${env}/origin/port`, value: port }],
    contentType: "application/json-patch+json",
    headers: { "if-match": read.headers.get("etag") ?? "*" },
  });
}

/** Runs user `u` in iterations until `until` (epoch ms); a failed request ends its iteration, never the user. */
export async function runUser(u: VirtualUser, until: number): Promise<number> {
  const apps: App[] = [];
  let seq = 0;
  while (Date.now() < until) {
    try {
      await iteration(u, seq++, apps);
    } catch (error) {
      if (!(error instanceof FlowFailed)) {
        u.rec.error("bench", String(error));
        await sleep(1000);
      }
      // An iteration cut short may have left its newest application half-made: forget it (it stays, as a user's would).
    }
  }
  return seq;
}
