import net from "node:net";
import path from "node:path";

// The edge agent's settings: docs/product.md §8 "Agent settings", plus the agent's own internal ports
// (EDGE_INTERNAL_PORT_BASE, EDGE_INTERNAL_ADDRESS) documented in edge/README.md.

/** The agent's validated settings. Ports are TCP ports; seconds are whole seconds. */
export type EdgeSettings = {
  consoleUrl: URL;
  nodeToken: string;
  /** Address the public ports bind to; `null` means all addresses. */
  bindAddress: string | null;
  httpPort: number;
  httpsPort: number;
  /** DNS servers for origin hostnames (`host` or `host:port`); empty means the system's. */
  dnsServers: string[];
  /** Absolute path of EDGE_STATE_DIR. */
  stateDir: string;
  metricsFlushSeconds: number;
  /** EDGE_METRICS_RECEIVE_BUFFER_BYTES: the log socket's receive buffer (default 8 MiB; tests make it tiny to lose lines). */
  metricsReceiveBufferBytes: number;
  /** First of the loopback ports the agent assigns (varnish, varnish admin, last hops, modules). */
  internalPortBase: number;
  /** Loopback address the internal listeners use. */
  internalAddress: string;
  /** Leave haproxy/varnishd/nginx/node running when the agent stops (for an upgrade). */
  keepProxies: boolean;
  /**
   * EDGE_UNSAFE_NO_SANDBOX (development only): run code modules without the sandbox when this node cannot make it
   * (not root, no network namespaces), instead of refusing them (docs/edge.md "Files and users").
   */
  unsafeNoSandbox?: boolean;
};

/** Environment variables as read (process.env or a test's object). */
export type SettingsEnv = Readonly<Record<string, string | undefined>>;

/** A setting that cannot be used; `main` prints `message` on one line and exits 2. */
export class SettingsError extends Error {}

const TRUE = new Set(["true", "1", "yes"]);
const FALSE = new Set(["false", "0", "no", ""]);

function bool(env: SettingsEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new SettingsError(`${name} must be true or false, got "${raw}"`);
}

function port(env: SettingsEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  if (!/^[0-9]{1,5}$/.test(raw.trim()) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new SettingsError(`${name} must be a TCP port from 1 to 65535, got "${raw}"`);
  }
  return Number(raw);
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (net.isIPv4(h)) return h.startsWith("127.");
  return h === "::1";
}

/**
 * Reads and validates the agent's settings from `env` (docs/product.md §8 "Agent settings").
 * Throws SettingsError with a one-line message naming the setting for a missing token or a bad value.
 */
export function readSettings(env: SettingsEnv = process.env, argv: readonly string[] = []): EdgeSettings {
  const token = env.EDGE_NODE_TOKEN?.trim() ?? "";
  if (!token) {
    throw new SettingsError(
      "EDGE_NODE_TOKEN is required: on the console host run `npm run edge:token -- add <name>` and set the token it prints",
    );
  }
  if (!/^en_[A-Za-z0-9_-]{20,}$/.test(token)) {
    throw new SettingsError("EDGE_NODE_TOKEN must be a node token starting with en_ (from `npm run edge:token -- add <name>`)");
  }

  let consoleUrl: URL;
  const rawUrl = env.CONSOLE_URL?.trim() || "http://127.0.0.1:3000";
  try {
    consoleUrl = new URL(rawUrl);
  } catch {
    throw new SettingsError(`CONSOLE_URL must be an http(s) URL, got "${rawUrl}"`);
  }
  if (consoleUrl.protocol !== "http:" && consoleUrl.protocol !== "https:") {
    throw new SettingsError(`CONSOLE_URL must be an http(s) URL, got "${rawUrl}"`);
  }
  if (consoleUrl.protocol === "http:" && !isLoopbackHost(consoleUrl.hostname) && !bool(env, "EDGE_INSECURE_CONSOLE", false)) {
    throw new SettingsError(
      `CONSOLE_URL ${rawUrl} is plain http to another machine: the desired state carries secrets; use https, or set EDGE_INSECURE_CONSOLE=true`,
    );
  }

  const rawBind = env.EDGE_BIND_ADDRESS?.trim() ?? "";
  let bindAddress: string | null = null;
  if (rawBind && rawBind !== "*" && rawBind !== "0.0.0.0" && rawBind !== "::") {
    if (!net.isIP(rawBind)) throw new SettingsError(`EDGE_BIND_ADDRESS must be an IP address, got "${rawBind}"`);
    bindAddress = rawBind;
  }
  const httpPort = port(env, "EDGE_HTTP_PORT", 80);
  const httpsPort = port(env, "EDGE_HTTPS_PORT", 443);
  if (httpPort === httpsPort) throw new SettingsError("EDGE_HTTP_PORT and EDGE_HTTPS_PORT must differ");

  const dnsServers = (env.EDGE_DNS_SERVERS ?? "")
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of dnsServers) {
    const m =
      /^\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?$/.exec(s) ?? /^([0-9.]+)(?::([0-9]{1,5}))?$/.exec(s) ?? /^([0-9A-Fa-f:]+)()$/.exec(s);
    if (!m || !net.isIP(m[1]) || (m[2] && (Number(m[2]) < 1 || Number(m[2]) > 65535))) {
      throw new SettingsError(`EDGE_DNS_SERVERS must list IP addresses (ip, ip:port or [ipv6]:port), got "${s}"`);
    }
  }

  const stateDir = path.resolve(env.EDGE_STATE_DIR?.trim() || "./edge-state");
  const rawFlush = env.EDGE_METRICS_FLUSH_SECONDS?.trim() || "60";
  if (!/^[0-9]+$/.test(rawFlush) || Number(rawFlush) < 1 || Number(rawFlush) > 3600) {
    throw new SettingsError(`EDGE_METRICS_FLUSH_SECONDS must be a whole number of seconds from 1 to 3600, got "${rawFlush}"`);
  }
  const rawBuffer = env.EDGE_METRICS_RECEIVE_BUFFER_BYTES?.trim() || String(8 * 1024 * 1024);
  if (!/^[0-9]+$/.test(rawBuffer) || Number(rawBuffer) < 1 || Number(rawBuffer) > 1024 * 1024 * 1024) {
    throw new SettingsError(`EDGE_METRICS_RECEIVE_BUFFER_BYTES must be a whole number of bytes from 1 to 1073741824, got "${rawBuffer}"`);
  }
  const internalPortBase = port(env, "EDGE_INTERNAL_PORT_BASE", 20000);
  if (internalPortBase < 1024 || internalPortBase + 2000 > 65535) {
    throw new SettingsError(
      `EDGE_INTERNAL_PORT_BASE must be from 1024 to 63535 (the agent uses 2000 ports from it), got ${internalPortBase}`,
    );
  }
  const internalAddress = env.EDGE_INTERNAL_ADDRESS?.trim() || "127.0.0.1";
  if (!net.isIPv4(internalAddress) || !internalAddress.startsWith("127.")) {
    throw new SettingsError(`EDGE_INTERNAL_ADDRESS must be an IPv4 loopback address (127.x.y.z), got "${internalAddress}"`);
  }
  for (const p of [httpPort, httpsPort]) {
    if (p >= internalPortBase && p < internalPortBase + 2000 && (bindAddress === null || bindAddress === internalAddress)) {
      throw new SettingsError(
        `EDGE_HTTP_PORT/EDGE_HTTPS_PORT ${p} falls inside the internal ports ${internalPortBase}-${internalPortBase + 1999}`,
      );
    }
  }

  const keepProxies = argv.includes("--keep-proxies") || bool(env, "EDGE_KEEP_PROXIES", false);
  return {
    consoleUrl,
    nodeToken: token,
    bindAddress,
    httpPort,
    httpsPort,
    dnsServers,
    stateDir,
    metricsFlushSeconds: Number(rawFlush),
    metricsReceiveBufferBytes: Number(rawBuffer),
    internalPortBase,
    internalAddress,
    keepProxies,
    unsafeNoSandbox: bool(env, "EDGE_UNSAFE_NO_SANDBOX", false),
  };
}
