import { createHash } from "node:crypto";
import type { Origin } from "../agent/state";
import { httpsChainLines, httpsFrontendLines, type HttpsPaths } from "../agent/certificates";

// HAProxy configuration of an edge node: the public front and each environment's last hop (docs/edge.md
// "One request", docs/product.md §8). Pure: returns the configuration text and the files it names.

/** Where one origin of an environment goes, after the agent resolved and judged it (docs/product.md §8). */
export type RenderedOrigin = {
  /** null for the default origin, else the alternate origin's name (chosen by `X-Edge-Origin`). */
  name: string | null;
  origin: Origin;
  /** Addresses to connect to, or the reason the origin is refused (→ 502 `X-Edge-Status: origin-refused`). */
  resolution: { ok: true; addresses: string[] } | { ok: false; reason: string };
};

/** One environment as HAProxy serves it. */
export type HaproxyEnvironment = {
  key: string;
  hostnames: readonly string[];
  hopToken: string;
  secret: string;
  /**
   * The first hop of the proxy chain (the last hop itself for an empty chain); `socket`: a UNIX socket HAProxy
   * connects to instead (varnishd's, for a chain that starts with varnish).
   */
  entry: { host: string; port: number; socket?: string };
  /** The environment's last hop listener. */
  lastHop: { host: string; port: number };
  ipBlacklist: readonly string[];
  origins: readonly RenderedOrigin[];
  /** `custom_errors/502.html` and `custom_errors/503.html` from the repository, when present. */
  errorPages: { "502"?: string; "503"?: string };
};

/** Node-wide inputs of the configuration. Paths are absolute. */
export type HaproxyGlobal = {
  dir: string;
  bindAddress: string | null;
  httpPort: number;
  httpsPort: number;
  /** `user`/`group` to drop to after binding (root only), or null to stay. */
  user: string | null;
  /** `nbthread` (HAProxy's default: one thread per CPU). */
  threads?: number;
  caFile: string;
  /** HTTPS maps (docs/https.md "Edge side"): when given, ACME challenges and the HTTP-to-HTTPS redirect are served. */
  https?: Pick<HttpsPaths, "acmeMap" | "redirectMap">;
  /**
   * Where the public front sends one JSON log line per request over UDP (docs/traffic.md "On the node"): the agent's
   * metrics listener on a loopback address. Absent: no per-request log.
   */
  metricsLog?: { host: string; port: number };
  /**
   * The agent's hold on each worker (docs/traffic.md "Counters"): a loopback listener where one request of the agent,
   * carrying `secret`, waits for its body, so a worker retired by a reload lives on until the agent has read its final
   * counters. Absent: none.
   */
  hold?: { host: string; port: number; secret: string };
};

/**
 * The per-request log line (docs/traffic.md "On the node"), JSON encoded by HAProxy (`%{+json}o` escapes the values):
 * e environment key, t accept time (epoch ms), m method, u path and query (cut at 2,048 bytes), s status, bi bytes
 * from the client, bo bytes to the client, ta total active time (ms, -1 when aborted), c X-Cache, x X-Edge-Status, id
 * request id, p the worker's pid, d the time of logging (epoch ms: the request's end, compared with the worker's
 * counter reads, docs/traffic.md "Counters"). A missing value is "-". Quotes are escaped for the configuration parser.
 */
export const METRICS_LOG_FORMAT =
  '%{+json}o{"e":"%[var(txn.env)]","t":%Ts%ms,"m":"%HM","u":"%[var(txn.uri)]","s":%ST,"bi":%U,"bo":%B,"ta":%Ta,' +
  '"c":"%[var(txn.cache)]","x":"%[var(txn.edgestatus)]","id":"%[var(txn.reqid)]","p":%pid,"d":%[date(0,ms)]}';

/** The rendered configuration: text of haproxy.cfg, plus files relative to `dir` (content-addressed names). */
export type RenderedHaproxy = { config: string; files: Record<string, string>; hostsMap: string };

const NEUTRAL_404 = `<!doctype html>
<html><head><meta charset="utf-8"><title>Not configured</title></head>
<body><h1>This hostname is not configured</h1><p>No website is served at this address.</p></body></html>
`;

const DEFAULT_502 = `<!doctype html>
<html><head><meta charset="utf-8"><title>Bad gateway</title></head>
<body><h1>502 Bad gateway</h1><p>The website's origin could not be reached. The request id is in the X-Request-Id header.</p></body></html>
`;

const DEFAULT_503 = `<!doctype html>
<html><head><meta charset="utf-8"><title>Service unavailable</title></head>
<body><h1>503 Service unavailable</h1><p>The website is unavailable for a moment. The request id is in the X-Request-Id header.</p></body></html>
`;

/**
 * The node's own health for load balancers and DNS health checks (docs/edge.md "Drain and the node's health"):
 * answered by HAProxy on the public ports for any Host, 200 `ok`, or 503 `draining` while the node is drained.
 */
export const NODE_HEALTH_PATH = "/.well-known/edge-node/health";

/** Largest body an errorfile may hold (HAProxy keeps errorfiles in one buffer of tune.bufsize, 16 kB). */
const MAX_ERROR_BODY = 12_000;

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** A raw HTTP response for `errorfile` (HAProxy sends the status line in the file, whatever error it replaces). */
function errorFile(status: string, edgeStatus: string, body: string): string {
  const b = Buffer.byteLength(body) <= MAX_ERROR_BODY ? body : status.startsWith("503") ? DEFAULT_503 : DEFAULT_502;
  return (
    `HTTP/1.1 ${status}\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n` +
    `X-Edge-Status: ${edgeStatus}\r\nContent-Length: ${Buffer.byteLength(b)}\r\nConnection: close\r\n\r\n${b}`
  );
}

function addr(a: string, port: number): string {
  return a.includes(":") ? `[${a}]:${port}` : `${a}:${port}`;
}

function isIp(a: string): boolean {
  return /^[0-9.]+$/.test(a) || a.includes(":");
}

/** Header values in the configuration come from checked state (tokens, secrets, hostnames): quote them anyway. */
function q(value: string): string {
  return `"${value.replace(/["\\]/g, "\\$&")}"`;
}

/**
 * Renders haproxy.cfg for the node (docs/edge.md "One request"): a public front on the HTTP and HTTPS ports
 * routing Host → environment through `hosts.map`, and per environment a front backend to the chain's first hop,
 * a last-hop frontend on its loopback port and one backend per origin. Environments are rendered in key order.
 */
export function renderHaproxy(g: HaproxyGlobal, envs: readonly HaproxyEnvironment[]): RenderedHaproxy {
  const files: Record<string, string> = {};
  const put = (name: string, content: string): string => {
    const rel = `files/${hash(content)}-${name}`;
    files[rel] = content;
    return `${g.dir}/${rel}`;
  };
  const sorted = [...envs].sort((a, b) => a.key.localeCompare(b.key));
  const bind = g.bindAddress ? (g.bindAddress.includes(":") ? `[${g.bindAddress}]` : g.bindAddress) : "";
  const mapPath = `${g.dir}/hosts.map`;
  const notConfigured = put("not-configured.html", NEUTRAL_404);
  const L: string[] = [];
  L.push(
    "global",
    `  stats socket ${g.dir}/admin.sock mode 600 level admin`,
    "  stats timeout 30s",
    "  tune.ssl.default-dh-param 2048",
    "  ssl-default-bind-options ssl-min-ver TLSv1.2",
    ...(g.user ? [`  user ${g.user}`, `  group ${g.user}`] : []),
    ...(g.threads ? [`  nbthread ${g.threads}`] : []),
    "",
    "defaults",
    "  mode http",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout http-request 10s",
    "  timeout http-keep-alive 10s",
    "  timeout tunnel 1h",
    "  retries 1",
    "",
    "frontend public",
    `  bind ${bind}:${g.httpPort}`,
    `  bind ${bind}:${g.httpsPort} ssl crt-list ${g.dir}/crt-list.txt alpn h2,http/1.1`,
    "  unique-id-format %[uuid()]",
    "  option forwardfor",
    ...(g.metricsLog
      ? [
          `  log ${addr(g.metricsLog.host, g.metricsLog.port)} len 8192 format raw local0`,
          `  log-format ${METRICS_LOG_FORMAT.replace(/"/g, '\\"')}`,
          "  http-request set-var(txn.uri) pathq,bytes(0,2048)",
        ]
      : []),
    // The node's health (docs/edge.md "Drain and the node's health"): before any routing, never logged or counted as
    // an environment's traffic; `drain 1` in node.map (changed through the Runtime API) makes it 503.
    `  acl edge_node_health path ${NODE_HEALTH_PATH}`,
    "  http-request set-log-level silent if edge_node_health",
    `  http-request return status 503 content-type text/plain string draining hdr Cache-Control no-store hdr X-Edge-Status draining if edge_node_health { str(drain),map(${g.dir}/node.map,0) -m str 1 }`,
    "  http-request return status 200 content-type text/plain string ok hdr Cache-Control no-store hdr X-Edge-Status ok if edge_node_health",
    // Every client-sent internal header goes (docs/product.md §8: client-sent X-Edge-Origin and internal headers).
    "  http-request del-header ^x-edge- -m reg",
    `  http-request set-header X-Request-Id %[unique-id] unless { req.hdr_cnt(x-request-id) eq 1 } { req.hdr(x-request-id) -m reg ^[A-Za-z0-9._:-]{1,128}$ }`,
    "  http-request set-var(txn.reqid) req.hdr(x-request-id)",
    "  http-request set-header X-Forwarded-Proto https if { ssl_fc }",
    "  http-request set-header X-Forwarded-Proto http unless { ssl_fc }",
    "  http-request set-var(txn.host) req.hdr(host),field(1,:),lower,regsub([.]$,)",
    `  http-request set-var(txn.env) var(txn.host),map(${mapPath})`,
    // HTTP-01 answers for a Host no environment serves, before the not-configured 404; an environment's own are
    // answered in its chain backend with its redirect and ip_blacklist, so HAProxy counts them for it (docs/traffic.md
    // "Counters") and the CA's validation shows among its recent requests.
    ...(g.https ? httpsFrontendLines(g.https) : []),
    `  http-request return status 404 content-type "text/html; charset=utf-8" file ${notConfigured} hdr X-Edge-Status not-configured hdr Cache-Control no-store unless { var(txn.env) -m found }`,
    // The chain and the origin see the Host that was routed: lower case, without the port and the trailing dot, so
    // `a.test:8080` and `a.test` are one cache object and the origin gets `Host: a.test` (RFC 9110 §7.2; a
    // host_header of the origin still replaces it at the last hop).
    "  http-request set-header Host %[var(txn.host)]",
  );
  for (const e of sorted) L.push(`  http-request set-header X-Edge-Hop ${q(e.hopToken)} if { var(txn.env) -m str ${e.key} }`);
  if (g.metricsLog) {
    L.push("  http-response set-var(txn.cache) res.hdr(x-cache)", "  http-response set-var(txn.edgestatus) res.hdr(x-edge-status)");
  }
  L.push("  http-after-response set-header X-Request-Id %[var(txn.reqid)] if { var(txn.reqid) -m found }");
  for (const e of sorted) L.push(`  use_backend chain_${e.key} if { var(txn.env) -m str ${e.key} }`);
  L.push("");

  const hostLines: string[] = [];
  for (const e of sorted) {
    for (const h of e.hostnames) hostLines.push(`${h} ${e.key}`);
    const page502 = e.errorPages["502"] ?? DEFAULT_502;
    const page503 = e.errorPages["503"] ?? DEFAULT_503;
    const chain503 = put(`${e.key}-chain-503.http`, errorFile("503 Service Unavailable", "chain-unavailable", page503));
    const chain502 = put(`${e.key}-chain-502.http`, errorFile("502 Bad Gateway", "chain-error", page502));
    const unreachable = put(`${e.key}-origin-unreachable.http`, errorFile("502 Bad Gateway", "origin-unreachable", page502));
    const originError = put(`${e.key}-origin-error.http`, errorFile("502 Bad Gateway", "origin-error", page502));
    const timeout = put(`${e.key}-origin-timeout.http`, errorFile("504 Gateway Timeout", "origin-timeout", page502));
    // `http-request return … file` holds the page in one buffer too: a page over the cap would fail haproxy -c.
    const refusedPage = put(`${e.key}-origin-refused.html`, Buffer.byteLength(page502) <= MAX_ERROR_BODY ? page502 : DEFAULT_502);
    L.push(`backend chain_${e.key}`, ...(g.https ? httpsChainLines(g.https, g.httpsPort) : []));
    if (e.ipBlacklist.length) {
      const acl = put(`${e.key}-blacklist.acl`, e.ipBlacklist.join("\n") + "\n");
      L.push(`  http-request deny deny_status 403 hdr X-Edge-Status blocked if { src -f ${acl} }`);
    }
    L.push(
      `  errorfile 502 ${chain502}`,
      `  errorfile 503 ${chain503}`,
      // varnishd answers 503 chain-unavailable while the environment's VCL is not loaded (a restart): the page is the
      // environment's 503 page, as when HAProxy cannot reach the chain's first module.
      `  http-response return errorfile ${chain503} if { status 503 } { res.hdr(x-edge-status) -m str chain-unavailable }`,
      // A module that dies under a safe request (e.g. varnishd killed and restarted by the agent) gets it once more
      // instead of a 502; unsafe methods are never sent twice (RFC 9110 §9.2.2).
      "  retry-on conn-failure empty-response",
      "  http-request disable-l7-retry unless { method GET HEAD OPTIONS }",
      `  server entry ${e.entry.socket ? `unix@${e.entry.socket}` : addr(e.entry.host, e.entry.port)}`,
      "",
      // The last hop (docs/edge.md "One request"): only its own environment's hop token is admitted.
      `frontend lasthop_${e.key}`,
      `  bind ${addr(e.lastHop.host, e.lastHop.port)}`,
      `  http-request deny deny_status 403 hdr X-Edge-Status hop-refused unless { req.hdr(x-edge-hop) -m str -- ${q(e.hopToken)} }`,
      `  http-request return status 200 content-type text/plain lf-string "%[req.hdr(x-edge-health)]" hdr Cache-Control no-store hdr X-Edge-Status health if { req.hdr(x-edge-health) -m found }`,
      "  http-request set-var(txn.origin) req.hdr(x-edge-origin)",
      // The chain's own hops (loopback, 0.0.0.0 of a UNIX socket, "unix:") appended themselves to X-Forwarded-For:
      // they go, so the origin sees the front's value, the client's address last (docs/edge.md "One request").
      "  http-request replace-header X-Forwarded-For '^(.*?)(,[[:space:]]*(127[.][0-9.]+|0[.]0[.]0[.]0|::1|unix:[^,]*))+$' '\\1'",
    );
    for (const o of e.origins) {
      if (o.name !== null) L.push(`  use_backend origin_${e.key}_${o.name} if { var(txn.origin) -m str ${o.name} }`);
    }
    L.push(`  default_backend origin_${e.key}`, "");
    for (const o of e.origins) {
      const origin = o.origin;
      const protocol = origin.protocol ?? "http";
      const port = origin.port ?? (protocol === "https" ? 443 : 80);
      L.push(
        `backend origin_${e.key}${o.name === null ? "" : `_${o.name}`}`,
        `  errorfile 502 ${originError}`,
        `  errorfile 503 ${unreachable}`,
        `  errorfile 504 ${timeout}`,
        "  http-request del-header ^x-edge- -m reg",
        `  http-request set-header X-Edge-Secret ${q(e.secret)}`,
      );
      for (const h of origin.remove_request_headers ?? []) L.push(`  http-request del-header ${h}`);
      if (origin.host_header) L.push(`  http-request set-header Host ${q(origin.host_header)}`);
      if (origin.disable_keepalive) L.push("  option http-server-close");
      if (!o.resolution.ok) {
        L.push(
          `  http-request return status 502 content-type "text/html; charset=utf-8" file ${refusedPage} hdr X-Edge-Status origin-refused hdr Cache-Control no-store`,
          "",
        );
        continue;
      }
      let tls = "";
      if (protocol === "https") {
        const name = origin.tls_name ?? (isIp(origin.address) ? null : origin.address);
        // docs/product.md §8: verified by default; `verify_certificate: false` is the customer's choice for an
        // origin with a self-signed certificate (encrypted, not authenticated). SNI is still sent.
        const verify = origin.verify_certificate ?? true;
        tls = verify ? ` ssl verify required ca-file ${g.caFile}` : " ssl verify none";
        if (name && verify) tls += ` verifyhost ${name}`;
        if (name && (origin.enable_sni ?? true)) tls += ` sni str(${name})`;
      }
      o.resolution.addresses.slice(0, 16).forEach((a, i) => L.push(`  server s${i} ${addr(a, port)}${tls}`));
      L.push("");
    }
  }
  if (g.hold) {
    L.push(
      "frontend edge_hold",
      `  bind ${addr(g.hold.host, g.hold.port)}`,
      // The held request waits under wait-for-body's own 24 h; any other connection gets 5 s to send its headers
      // (a stranger's open connections would otherwise keep a retired worker alive).
      "  timeout client 24h",
      "  timeout http-request 5s",
      `  http-request deny deny_status 403 unless { req.hdr(x-edge-hold) -m str -- ${q(g.hold.secret)} }`,
      '  http-request return status 200 content-type text/plain lf-string "%pid" if { path /pid }',
      "  http-request wait-for-body time 24h at-least 1",
      "  http-request return status 200 content-type text/plain string released",
      "",
    );
  }
  return { config: L.join("\n") + "\n", files, hostsMap: hostLines.join("\n") + (hostLines.length ? "\n" : "") };
}
