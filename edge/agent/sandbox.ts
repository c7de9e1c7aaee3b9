import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { toolPath } from "../modules/tools";
import { checkNginx } from "../modules/nginx";
import { OPENRESTY_FILE, renderOpenrestyFragment } from "../modules/openresty";
import type { HopAddress, ModuleName, ProcessSpec } from "../modules/types";

// The sandbox of tenants' code on a node (docs/edge.md "Files and users", docs/product.md §8 "Privileges").
//
// A code module's process (the Node process of `nodejs`, the nginx of `openresty`) runs in a network namespace
// of its own that has only `lo`, as a numeric user and group of its environment (no passwd entry, no
// supplementary groups, no new privileges, no capabilities). It cannot connect to any port of the host or to any
// network. Its traffic crosses the boundary only through two UNIX sockets in a folder of its version:
//
//   previous hop ─TCP─► bridge (host, 127.0.0.1:<module port>) ─► in.sock ─► tenant (namespace)
//   tenant ─► out.sock ─► bridge (host) ─TCP─► its next hop
//
// The bridge is a small haproxy in TCP mode, one per sandboxed process, run as a second numeric user of the
// environment (never the tenant's: the tenant cannot signal or trace it). Inside the namespace the module
// contract stays as it was: nginx listens on `unix:in.sock` and proxies to `unix:out.sock` (the openresty driver
// renders those addresses); Node's tenant code listens on HOST:PORT and connects to NEXT_HOP_HOST:NEXT_HOP_PORT
// on the namespace's own 127.0.0.1, and a platform preload in the same process joins those ports to the sockets.

/** First uid/gid of environments' tenant users: tenant uid = gid = base + environment id. */
export const TENANT_ID_BASE = 1_000_000_000;
/** First uid of environments' bridge users: bridge uid = base + environment id, its gid the tenant's. */
export const BRIDGE_ID_BASE = 1_500_000_000;

/** The numeric users of one environment (docs/edge.md "Files and users"). Throws for an id outside 1..499999999. */
export function sandboxIds(environmentId: number): { tenant: number; bridge: number; gid: number } {
  if (!Number.isInteger(environmentId) || environmentId < 1 || environmentId >= BRIDGE_ID_BASE - TENANT_ID_BASE)
    throw new Error(`environment id ${environmentId} has no sandbox user (1 to ${BRIDGE_ID_BASE - TENANT_ID_BASE - 1})`);
  return { tenant: TENANT_ID_BASE + environmentId, bridge: BRIDGE_ID_BASE + environmentId, gid: TENANT_ID_BASE + environmentId };
}

/**
 * How the agent runs one process, persisted with its spec so an agent restart starts it the same way:
 * `uid`/`gid` through `setpriv`, in a new network namespace with only `lo` when `netns`. `inSocket` is removed
 * before each start (a killed nginx leaves its socket file behind).
 */
export type RunAs = { uid: number; gid: number; netns: boolean; inSocket?: string };

/** A process spec of edge/modules plus how the agent runs it and how it knows the process is ready. */
export type RunSpec = ProcessSpec & {
  runAs?: RunAs;
  /** Ready when this UNIX socket accepts (a sandboxed tenant), else when `listen` accepts. */
  readySocket?: string;
  /** True for a sandbox bridge (its process name ends in `-bridge`; it is not a module of the chain). */
  bridge?: boolean;
};

/** Code modules: their processes run tenants' code and are sandboxed (docs/product.md §8). */
export const SANDBOXED_MODULES: readonly ModuleName[] = ["nodejs", "openresty"];

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, out: `${stdout}${stderr}`.trim() });
    });
  });
}

let support: Promise<{ ok: true } | { ok: false; reason: string }> | null = null;

/**
 * Whether this node can sandbox tenants' processes: the agent runs as root, `unshare`, `setpriv`, `ip` and
 * `haproxy` are installed, and a new network namespace can be made with its `lo` up. Checked once per agent.
 * Resolves `{ ok: false, reason }` with a sentence naming what is missing; never rejects.
 */
export function sandboxSupport(): Promise<{ ok: true } | { ok: false; reason: string }> {
  support ??= (async () => {
    if (process.getuid?.() !== 0) return { ok: false as const, reason: "the agent does not run as root" };
    const missing = ["unshare", "setpriv", "ip", "haproxy"].filter((t) => !toolPath(t));
    if (missing.length) return { ok: false as const, reason: `${missing.join(", ")} not installed` };
    const r = await run(toolPath("unshare")!, ["--net", "--", toolPath("ip")!, "link", "set", "lo", "up"]);
    if (r.code !== 0)
      return { ok: false as const, reason: `no network namespace could be made (unshare --net: ${r.out || `exit ${r.code}`})` };
    return { ok: true as const };
  })();
  return support;
}

/** The sentence of the `agent` refusal for a code module on a node without the sandbox. */
export function noSandboxMessage(module: string, reason: string): string {
  return (
    `${module} runs your own code, which this node runs only in its sandbox, and the sandbox is not available here: ${reason}. ` +
    "Run the edge agent as root on Linux with network namespaces (unshare, setpriv, ip, haproxy), " +
    "or set EDGE_UNSAFE_NO_SANDBOX=true on a development node"
  );
}

// The launcher run as root: a new network namespace, `lo` up, a umask that keeps new sockets to the user and its
// group, then setpriv to the numeric user without groups, capabilities or a way back to privileges.
const NETNS_SCRIPT = 'ip="$1"; shift; "$ip" link set lo up || exit 111; umask 007; exec "$@"';

/**
 * The argv prefix that starts a process as `runAs` describes (run it as root, followed by the command and its
 * arguments). The process keeps its pid through each `exec`, so pid files and process groups stay right.
 */
export function launcher(runAs: RunAs): string[] {
  const setpriv = [
    toolPath("setpriv") ?? "/usr/bin/setpriv",
    `--reuid=${runAs.uid}`,
    `--regid=${runAs.gid}`,
    "--clear-groups",
    "--no-new-privs",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--",
  ];
  if (!runAs.netns) return setpriv;
  return [
    toolPath("unshare") ?? "/usr/bin/unshare",
    "--net",
    "--",
    "/bin/sh",
    "-c",
    NETNS_SCRIPT,
    "edge-sandbox",
    toolPath("ip") ?? "/usr/sbin/ip",
    ...setpriv,
  ];
}

/**
 * How the supervisor starts a process that runs as `runAs`: through {@link launcher} (always for the sandbox), or
 * with Node's own uid/gid switch when setpriv is missing and no namespace is needed.
 */
export function startAs(runAs: RunAs): { launcher: string[] } | { uid: number; gid: number } {
  return runAs.netns || toolPath("setpriv") ? { launcher: launcher(runAs) } : { uid: runAs.uid, gid: runAs.gid };
}

/**
 * The bridge's haproxy configuration (TCP mode, one thread, foreground): the module's host port to the tenant's
 * `in.sock`, and `out.sock` (mode 660, the environment's group) to the next hop. Timeouts are long: the chain's
 * own proxies (HAProxy front and last hop) keep the real ones, and WebSockets pass through.
 */
export function bridgeConfig(listen: HopAddress, next: HopAddress, inSocket: string, outSocket: string): string {
  const hp = (a: HopAddress) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);
  return [
    '# Rendered by the edge agent (docs/edge.md "Files and users"): the sandbox bridge of one tenant process.',
    "global",
    "    nbthread 1",
    "    maxconn 4096",
    "defaults",
    "    mode tcp",
    "    timeout connect 5s",
    "    timeout client 1h",
    "    timeout server 1h",
    "listen inbound",
    `    bind ${hp(listen)}`,
    `    server tenant unix@${inSocket}`,
    "listen outbound",
    `    bind unix@${outSocket} mode 660`,
    `    server next ${hp(next)}`,
    "",
  ].join("\n");
}

/**
 * The platform's preload for a sandboxed Node process (run with `--require` before the tenant's entry file): once
 * the tenant listens on 127.0.0.1:PORT inside the namespace, `EDGE_SANDBOX_IN` accepts and is joined to it; and
 * 127.0.0.1:NEXT_HOP_PORT inside the namespace is joined to `EDGE_SANDBOX_OUT`. Both variables are removed
 * before the tenant's code runs. Half-closes pass through (allowHalfOpen).
 */
export const NODE_PRELOAD = `"use strict";
// Rendered by the edge agent (docs/edge.md "Files and users"): joins the sandbox's sockets to the module contract.
const net = require("node:net");
const inPath = process.env.EDGE_SANDBOX_IN;
const outPath = process.env.EDGE_SANDBOX_OUT;
delete process.env.EDGE_SANDBOX_IN;
delete process.env.EDGE_SANDBOX_OUT;
const host = process.env.HOST || "127.0.0.1";
const port = Number(process.env.PORT);
const nextPort = Number(process.env.NEXT_HOP_PORT);
function join(a, b) {
  a.pipe(b);
  b.pipe(a);
  const end = () => { a.destroy(); b.destroy(); };
  a.on("error", end);
  b.on("error", end);
  a.on("close", end);
  b.on("close", end);
}
if (outPath && nextPort) {
  const out = net.createServer({ allowHalfOpen: true }, (c) => join(c, net.connect({ path: outPath, allowHalfOpen: true })));
  out.on("error", (e) => console.error("edge sandbox: next hop port: " + e.message));
  out.listen(nextPort, process.env.NEXT_HOP_HOST || "127.0.0.1");
  out.unref();
}
if (inPath && port) {
  const open = () => {
    const probe = net.connect({ host, port });
    probe.on("connect", () => {
      probe.destroy();
      const inbound = net.createServer({ allowHalfOpen: true }, (c) => join(c, net.connect({ host, port, allowHalfOpen: true })));
      inbound.on("error", (e) => console.error("edge sandbox: inbound socket: " + e.message));
      inbound.listen(inPath);
      inbound.unref();
    });
    probe.on("error", () => setTimeout(open, 50).unref());
  };
  setTimeout(open, 20).unref();
}
`;

/** What {@link sandboxProcesses} needs about the environment and its chain. */
export type SandboxInput = {
  environmentId: number;
  /** The version's folder (EDGE_STATE_DIR/envs/<key>/<version>). */
  dir: string;
  chain: readonly string[];
  listen: readonly HopAddress[];
  lastHop: HopAddress;
  files: Readonly<Record<string, string>>;
  /** uid of edge-proxy (modsecurity's nginx runs as it, with the environment's group), or null. */
  proxyUid: number | null;
  /**
   * False on a node without the sandbox that runs code modules anyway (EDGE_UNSAFE_NO_SANDBOX=true): every
   * process still gets its environment's user, but no namespace and no bridge.
   */
  netns: boolean;
};

/**
 * Turns the rendered processes of one environment into what the agent starts, in order, on a node with the
 * sandbox: each code module's process preceded by its bridge (see the file comment); modsecurity's nginx as
 * edge-proxy with the environment's group. Writes the sockets' folders (owned by the tenant user, 0770), the
 * bridge configurations, the Node preload, and re-renders the openresty fragment with the socket addresses (then
 * `nginx -t` again). Resolves a refusal `{ ok: false, tool, message }` when nginx refuses it; rejects on file-system
 * errors. Socket paths longer than 107 bytes (the kernel's limit) are refused with tool `agent`.
 */
export async function sandboxProcesses(
  input: SandboxInput,
  processes: readonly ProcessSpec[],
): Promise<{ ok: true; specs: RunSpec[] } | { ok: false; tool: "agent" | "nginx" | "policy"; message: string }> {
  const ids = sandboxIds(input.environmentId);
  const specs: RunSpec[] = [];
  for (const [i, spec] of processes.entries()) {
    if (!SANDBOXED_MODULES.includes(spec.module)) {
      specs.push({ ...spec, runAs: { uid: input.proxyUid ?? ids.bridge, gid: ids.gid, netns: false } });
      continue;
    }
    if (!input.netns) {
      specs.push({ ...spec, runAs: { uid: ids.tenant, gid: ids.gid, netns: false } });
      continue;
    }
    const index = input.chain.indexOf(spec.module);
    const next = input.listen[index + 1] ?? input.lastHop;
    const sockets = path.join(input.dir, `sandbox-${i}`);
    const inSocket = path.join(sockets, "in.sock");
    const outSocket = path.join(sockets, "out.sock");
    if (Buffer.byteLength(outSocket) > 107)
      return {
        ok: false,
        tool: "agent",
        message: `the sandbox socket path ${outSocket} is longer than 107 bytes: use a shorter EDGE_STATE_DIR`,
      };
    fs.mkdirSync(sockets, { mode: 0o770 });
    fs.chownSync(sockets, ids.tenant, ids.gid);
    fs.chmodSync(sockets, 0o770);
    const bridgeFile = path.join(input.dir, "platform", `sandbox-bridge-${i}.cfg`);
    fs.mkdirSync(path.dirname(bridgeFile), { recursive: true });
    fs.writeFileSync(bridgeFile, bridgeConfig(spec.listen, next, inSocket, outSocket), { mode: 0o644 });
    specs.push({
      module: spec.module,
      command: toolPath("haproxy") ?? "/usr/sbin/haproxy",
      args: ["-f", bridgeFile],
      env: {},
      cwd: sockets,
      user: "proxy",
      listen: spec.listen,
      writable: [],
      runAs: { uid: ids.bridge, gid: ids.gid, netns: false },
      bridge: true,
    });
    const runAs: RunAs = { uid: ids.tenant, gid: ids.gid, netns: true, inSocket };
    if (spec.module === "nodejs") {
      const preload = path.join(input.dir, "platform", "sandbox-node.cjs");
      fs.writeFileSync(preload, NODE_PRELOAD, { mode: 0o644 });
      // The entry file stays the last argument; the preload runs first and may be read under the permission model.
      const args = [...spec.args.slice(0, -1), `--allow-fs-read=${preload}`, "--require", preload, ...spec.args.slice(-1)];
      specs.push({
        ...spec,
        args,
        env: { ...spec.env, EDGE_SANDBOX_IN: inSocket, EDGE_SANDBOX_OUT: outSocket },
        runAs,
        readySocket: inSocket,
      });
    } else {
      const text = input.files[OPENRESTY_FILE];
      const folder = path.join(input.dir, "openresty");
      const fragment = renderOpenrestyFragment(text ?? "", `unix:${inSocket}`, `unix:${outSocket}`, folder);
      if (!fragment.ok) return { ok: false, tool: fragment.tool === "nginx" ? "nginx" : "policy", message: fragment.message };
      const fragmentPath = path.join(input.dir, ...OPENRESTY_FILE.split("/"));
      fs.writeFileSync(fragmentPath, fragment.conf, { mode: 0o644 });
      const conf = spec.args[spec.args.indexOf("-c") + 1];
      const checked = await checkNginx(conf, spec.cwd, OPENRESTY_FILE, fragmentPath);
      if (!checked.ok) return { ok: false, tool: "nginx", message: checked.message };
      specs.push({ ...spec, runAs, readySocket: inSocket });
    }
  }
  return { ok: true, specs };
}

/**
 * Gives the environment's folder (EDGE_STATE_DIR/envs/<key>) to root and the environment's group, 0750: its own
 * processes (tenant, bridge, modsecurity's nginx) read it through the group, no other environment's user can
 * enter it. As root only; elsewhere nothing changes.
 */
export function lockEnvironmentFolder(folder: string, environmentId: number): void {
  if (process.getuid?.() !== 0) return;
  fs.mkdirSync(folder, { recursive: true, mode: 0o750 });
  fs.chownSync(folder, 0, sandboxIds(environmentId).gid);
  fs.chmodSync(folder, 0o750);
}

/**
 * The version folder (`<environment folder>/<version>`) that processes with these working folders run in, or null
 * when none is inside `environmentFolder` (e.g. a chain without nginx or Node processes).
 */
export function versionFolderOf(environmentFolder: string, cwds: readonly string[]): string | null {
  for (const cwd of cwds) {
    const rel = path.relative(environmentFolder, cwd);
    if (!rel || rel.startsWith("..") || path.isAbsolute(rel)) continue;
    return path.join(environmentFolder, rel.split(path.sep)[0]);
  }
  return null;
}
