import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runTool } from "./tools";
import type { HopAddress, Refusal } from "./types";
import { matchingClose, tokenizeVcl, type VclToken } from "./vcl-tokens";

// The varnish driver (docs/product.md §8 "varnish"; docs/edge.md "Applying, on the node"): the tenant's
// `varnish/default.vcl` wrapped by the platform, its only backend rewritten to the next hop, checked on what
// varnishd compiles (`varnishd -C` with vcc_allow_inline_c=off and vcc_unsafe_path=off).

/** The tenant's file. */
export const VCL_FILE = "varnish/default.vcl";

/** varnishd parameters for tenant VCL (docs/product.md §8). */
export const VARNISH_PARAMS = ["-p", "vcc_allow_inline_c=off", "-p", "vcc_unsafe_path=off"] as const;

// docs/product.md §8 names fileread, blobread, getenv and ban; file_exists would tell a tenant which files the node
// has, so it goes with them.
const FORBIDDEN_STD = new Set(["fileread", "blobread", "getenv", "ban", "ban_error", "file_exists"]);
const HOP_TOKEN = /^[A-Za-z0-9_-]{1,128}$/;
const KEY = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/**
 * What a tenant's next-hop backend may set (Varnish 7.1 backend attributes). The next hop is a platform listener
 * speaking plain HTTP/1.1 that admits requests carrying the environment's hop token only, so the node refuses the
 * rest; the console runs this same policy, so the two agree (docs/edge.md "Applying, on the node").
 */
export const BACKEND_ATTRIBUTES: ReadonlySet<string> = new Set([
  "host",
  "port",
  "host_header",
  "connect_timeout",
  "first_byte_timeout",
  "between_bytes_timeout",
  "max_connections",
]);
const BACKEND_REFUSED: Record<string, string> = {
  proxy_header: "the next hop speaks plain HTTP/1.1, not the PROXY protocol",
  probe:
    "the next hop admits only requests of the proxy chain, so a probe would mark it sick; the platform checks it with the health request",
  preamble: "the next hop speaks plain HTTP/1.1",
};

const refuse = (message: string): Refusal => ({ ok: false, tool: "policy", message: `${VCL_FILE}: ${message}` });
const at = (t: VclToken) => `(line ${t.line}, column ${t.column})`;

/** The VCL label of an environment (`edge_e17`): the router's `return (vcl(…))` target. Throws on a malformed key. */
export function labelFor(key: string): string {
  if (!KEY.test(key)) throw new Error(`environment key "${key}" is not usable in a VCL label`);
  return `edge_${key}`;
}

/**
 * The top-level VCL of the shared varnishd: routes each request by the `X-Edge-Hop` header HAProxy set to the label
 * {@link labelFor}(key) (routing on a header, because `return (vcl(…))` rolls the request back), and answers 503
 * with `X-Edge-Status: chain-unavailable` for an unknown or missing token (docs/edge.md "One request"): only HAProxy's
 * front reaches varnishd with a token, after it matched the Host, so a token the router does not know is an
 * environment whose VCL is not loaded yet (a new environment, or varnishd restarting), never a hostname that is not
 * configured. Every label must exist (`vcl.label`) before this VCL is loaded. Throws on a malformed key or token.
 */
export function renderVarnishRouter(envs: readonly { key: string; hopToken: string }[]): string {
  const lines = [
    "vcl 4.1;",
    "",
    '# Edge platform router (docs/edge.md "One request"): hop token → environment label.',
    "backend edge_none none;",
    "",
    "sub vcl_recv {",
  ];
  for (const env of envs) {
    if (!HOP_TOKEN.test(env.hopToken)) throw new Error(`hop token of ${env.key} has characters VCL cannot hold`);
    lines.push(`    if (req.http.X-Edge-Hop == "${env.hopToken}") {`, `        return (vcl(${labelFor(env.key)}));`, "    }");
  }
  lines.push('    return (synth(503, "Service Unavailable"));', "}", "", ...UNAVAILABLE_SYNTH);
  return lines.join("\n");
}

// Answered while an environment's VCL is not loaded: HAProxy's chain backend replaces it with the environment's
// 503 page (custom_errors/503.html or the platform's), keeping the status and X-Edge-Status.
const UNAVAILABLE_SYNTH = [
  "sub vcl_synth {",
  '    set resp.http.X-Edge-Status = "chain-unavailable";',
  '    set resp.http.Content-Type = "text/plain; charset=utf-8";',
  '    set resp.http.Cache-Control = "no-store";',
  '    set resp.http.Retry-After = "1";',
  '    set resp.body = "The website is unavailable for a moment.";',
  "    return (deliver);",
  "}",
  "",
];

/**
 * The VCL varnishd starts with (`-f`), before the agent loaded the environments' labels and the router: every
 * request gets 503 `X-Edge-Status: chain-unavailable`, as the router gives for a label not loaded yet
 * (docs/edge.md "Applying, on the node": a varnishd restart must never answer another environment's page or a 404).
 */
export function renderVarnishBoot(): string {
  return [
    "vcl 4.1;",
    "",
    '# Edge platform boot VCL (docs/edge.md "Applying, on the node"): nothing is loaded yet.',
    "backend edge_none none;",
    "",
    "sub vcl_recv {",
    '    return (synth(503, "Service Unavailable"));',
    "}",
    "",
    ...UNAVAILABLE_SYNTH,
  ].join("\n");
}

type Sub = { name: string; open: number; close: number };

function topLevelSubs(tokens: readonly VclToken[]): Sub[] {
  const subs: Sub[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind === "id" && t.text === "sub" && tokens[k + 1]?.kind === "id" && tokens[k + 2]?.text === "{") {
      const close = matchingClose(tokens, k + 2);
      if (close === -1) break;
      subs.push({ name: tokens[k + 1].text, open: k + 2, close });
      k = close;
    } else if (t.text === "{") {
      const close = matchingClose(tokens, k);
      if (close === -1) break;
      k = close;
    }
  }
  return subs;
}

/** Methods after whose tenant code the platform runs its own part (docs/product.md §8 "Response headers"). */
const FINAL_METHODS: Record<string, string> = {
  vcl_deliver: "edge_platform_deliver",
  vcl_backend_response: "edge_platform_backend_response",
};

/**
 * Policy and wrapping of a tenant VCL (docs/product.md §8): refuses `include`, imports other than `import std`,
 * `std.fileread`/`std.blobread`/`std.getenv`/`std.ban`/`ban()`, inline C, any backend but one whose `.host` is
 * "next-hop" (port "80"), `.path` backends, and `return` inside custom subs that vcl_deliver or
 * vcl_backend_response call. Returns the wrapped VCL (line numbers of the tenant's text kept: the platform's first
 * part shares the `vcl` line) or a policy refusal. `key` keys the cache objects; `next` is the next hop.
 */
export function wrapTenantVcl(text: string, key: string, next: HopAddress): { ok: true; vcl: string } | Refusal {
  if (!KEY.test(key)) return refuse(`environment key "${key}" is malformed`);
  let tokens: VclToken[];
  try {
    tokens = tokenizeVcl(text);
  } catch (err) {
    return refuse((err as Error).message);
  }
  const first = tokens[0];
  if (!first || first.text !== "vcl" || tokens[2]?.text !== ";") return refuse('must start with "vcl 4.1;" (line 1)');
  const edits: { start: number; end: number; text: string }[] = [];
  let backends = 0;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind === "inline-c") return refuse(`inline C is not allowed ${at(t)}`);
    if (t.kind !== "id") continue;
    const prev = tokens[k - 1];
    const isDirective = !prev || prev.text === ";" || prev.text === "}";
    if (t.text === "include" && isDirective) return refuse(`"include" is not allowed: keep your VCL in this one file ${at(t)}`);
    if (t.text === "import" && isDirective) {
      const name = tokens[k + 1];
      if (name?.text !== "std" || tokens[k + 2]?.text !== ";") return refuse(`only "import std;" is allowed ${at(t)}`);
      continue;
    }
    if (/^edge_platform/i.test(t.text)) return refuse(`names starting with "edge_platform" belong to the platform ${at(t)}`);
    if (t.text.startsWith("std.") && FORBIDDEN_STD.has(t.text.slice(4))) return refuse(`${t.text}() is not allowed on the edge ${at(t)}`);
    if (t.text === "ban" && tokens[k + 1]?.text === "(") return refuse(`ban() is not allowed on the edge ${at(t)}`);
    if (t.text === "vcl" && k > 0 && tokens[k + 1]?.text === "(")
      return refuse(`return (vcl(…)) is not allowed: the platform chooses the VCL ${at(t)}`);
    if ((t.text === "backend" || t.text === "director") && isDirective) {
      if (t.text === "director") return refuse(`directors are not allowed: the next hop is the only backend ${at(t)}`);
      backends++;
      if (backends > 1) return refuse(`a second backend: the only backend allowed is the one with .host = "next-hop" ${at(t)}`);
      const open = k + 2;
      if (tokens[open]?.text !== "{") return refuse(`the backend must be { .host = "next-hop"; .port = "80"; } ${at(t)}`);
      const close = matchingClose(tokens, open);
      let host: VclToken | null = null;
      let port: VclToken | null = null;
      for (let j = open + 1; j < close; j++) {
        const field = tokens[j];
        if (field.text !== "." || tokens[j + 2]?.text !== "=") continue;
        const name = tokens[j + 1].text;
        const value = tokens[j + 3];
        if (name === "path") return refuse(`.path (a Unix socket) is not allowed: the backend is "next-hop" ${at(field)}`);
        if (!BACKEND_ATTRIBUTES.has(name)) {
          const why = BACKEND_REFUSED[name] ?? "the platform does not allow it in the next-hop backend";
          return refuse(
            `backend attribute .${name} is not allowed: ${why}; allowed: ${[...BACKEND_ATTRIBUTES].map((a) => `.${a}`).join(", ")} ${at(field)}`,
          );
        }
        if (name === "host") host = value;
        if (name === "port") port = value;
      }
      if (!host || host.text !== '"next-hop"') {
        return refuse(`the backend must have .host = "next-hop" (the next module of the proxy chain, or the origin) ${at(host ?? t)}`);
      }
      if (port && port.text !== '"80"' && port.text !== "80") return refuse(`the backend's .port must be "80" ${at(port)}`);
      edits.push({ start: host.start, end: host.end, text: JSON.stringify(next.host) });
      if (port) edits.push({ start: port.start, end: port.end, text: `"${next.port}"` });
      else edits.push({ start: host.end, end: host.end + (text[host.end] === ";" ? 1 : 0), text: `; .port = "${next.port}";` });
      k = close;
    }
  }
  if (backends === 0) return refuse('needs a backend with .host = "next-hop" and .port = "80"');

  // Returns in the tenant's vcl_deliver / vcl_backend_response run the platform's part first.
  const subs = topLevelSubs(tokens);
  const calls = new Map<string, Set<string>>();
  for (const sub of subs) {
    const set = calls.get(sub.name) ?? new Set<string>();
    for (let j = sub.open; j < sub.close; j++) if (tokens[j].text === "call" && tokens[j + 1]) set.add(tokens[j + 1].text);
    calls.set(sub.name, set);
  }
  const reachable = new Set<string>();
  const walk = (name: string) => {
    for (const callee of calls.get(name) ?? []) {
      if (reachable.has(callee)) continue;
      reachable.add(callee);
      walk(callee);
    }
  };
  for (const method of Object.keys(FINAL_METHODS)) walk(method);
  for (const sub of subs) {
    const final = FINAL_METHODS[sub.name];
    for (let j = sub.open; j < sub.close; j++) {
      if (tokens[j].text !== "return" || tokens[j + 1]?.text !== "(") continue;
      if (!final) {
        if (reachable.has(sub.name) && !sub.name.startsWith("vcl_")) {
          return refuse(
            `sub ${sub.name} is called from vcl_deliver or vcl_backend_response and returns ${at(tokens[j])}: return from the vcl_ method itself`,
          );
        }
        continue;
      }
      const close = matchingClose(tokens, j + 1);
      const semi = tokens[close + 1];
      if (close === -1 || semi?.text !== ";") continue; // varnishd will name the syntax error
      edits.push({ start: tokens[j].start, end: tokens[j].start, text: `{ call ${final}; ` });
      edits.push({ start: semi.end, end: semi.end, text: " }" });
    }
  }

  const prefix = [
    // docs/edge.md "Applying, on the node": the health request and WebSocket upgrades pass before the tenant's code.
    // HAProxy reaches varnishd over a UNIX socket, where client.ip is 0.0.0.0: varnishd appended that to
    // X-Forwarded-For, which already ends with the client's address. Dropped so origins see the client last.
    'sub vcl_recv { set req.http.X-Forwarded-For = regsub(req.http.X-Forwarded-For, ",\\s*0\\.0\\.0\\.0$", ""); if (req.http.X-Edge-Health) { return (pass); } if (req.http.Upgrade ~ "(?i)websocket") { return (pipe); } }',
    // Objects keyed per environment: hashed before the tenant's vcl_hash, which cannot take data out of the hash.
    `sub vcl_hash { hash_data("edge-env:${key}"); }`,
    "sub vcl_pipe { if (req.http.Upgrade) { set bereq.http.Upgrade = req.http.Upgrade; set bereq.http.Connection = req.http.Connection; } }",
  ].join(" ");
  const suffix = [
    "",
    "# --- Edge platform (docs/product.md §8): runs after the tenant's code ---",
    "sub edge_platform_deliver {",
    '    if (obj.uncacheable) { set resp.http.X-Cache = "PASS"; } elsif (obj.hits > 0) { set resp.http.X-Cache = "HIT"; } else { set resp.http.X-Cache = "MISS"; }',
    "    unset resp.http.x-edge-url;",
    "    unset resp.http.x-edge-env;",
    "    unset resp.http.x-edge-host;",
    "}",
    "sub edge_platform_backend_response {",
    "    set beresp.http.x-edge-url = bereq.url;",
    `    set beresp.http.x-edge-env = "${key}";`,
    // docs/edge.md "Purge": bans test these object headers only (obj.*), so the ban lurker can retire them.
    "    set beresp.http.x-edge-host = bereq.http.host;",
    "}",
    "sub vcl_deliver { call edge_platform_deliver; }",
    "sub vcl_backend_response { call edge_platform_backend_response; }",
    "",
  ].join("\n");
  edits.push({ start: tokens[2].end, end: tokens[2].end, text: " " + prefix });
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const edit of edits) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return { ok: true, vcl: out + suffix };
}

/** varnishd's compiler message trimmed to what a person needs: the message and `(line L, column C)`. */
export function trimVccMessage(output: string): string {
  const body = output.split("Message from VCC-compiler:").pop() ?? output;
  const located = /\('[^']*' Line (\d+) Pos (\d+)\)/.exec(body);
  const lines = body
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^\(program line|^\('|^Running VCC-compiler|^VCL compilation failed|^[-#]+$|^Could not delete/.test(l));
  const message = (lines[0] ?? "compilation failed").replace(/,?\s*at$/, "");
  return located ? `${message} (line ${located[1]}, column ${located[2]})` : message;
}

/**
 * What varnishd compiled (`varnishd -C` output, the generated C) judged as the final word (docs/product.md §8):
 * only the std VMOD, none of its forbidden functions, no `ban()`, exactly one backend at `next`, no Unix socket.
 * Returns a message or null.
 */
export function inspectCompiledVcl(c: string, next: HopAddress): string | null {
  for (const m of c.matchAll(/\/\* --- BEGIN VMOD (\w+) --- \*\//g)) if (m[1] !== "std") return `imports the VMOD "${m[1]}"`;
  for (const m of c.matchAll(/Vmod_vmod_std_Func\.(\w+)\s*\(/g)) if (FORBIDDEN_STD.has(m[1])) return `calls std.${m[1]}()`;
  if (/VRT_ban_string\s*\(\s*ctx/.test(c)) return "calls ban()";
  if (/VPI_vcl_(get|select)\s*\(\s*ctx/.test(c)) return "switches to another VCL";
  const backends = [...c.matchAll(/static const struct vrt_backend vgc_dir_priv_/g)].length;
  if (backends !== 1) return `defines ${backends} backends; the next hop must be the only one`;
  if (/\.uds_path = "/.test(c)) return "uses a Unix socket backend";
  if (/^\s*\.proxy_header = [1-9]/m.test(c)) return "sends the PROXY protocol to the next hop";
  if (/^\s*\.probe = /m.test(c)) return "probes the next hop";
  const endpoints = [...c.matchAll(/\/\* "([^"]*)" -> [^*]*\*\//g)].map((m) => m[1]);
  const expected = `${next.host} ${next.port}`;
  if (endpoints.length === 0 || endpoints.some((e) => e !== expected))
    return `has a backend address other than the next hop (${endpoints.join(", ")})`;
  return null;
}

/**
 * `varnishd -C` over the rendered VCL at `vclPath` with the tenant parameters, then {@link inspectCompiledVcl}.
 * Refusals name `varnish/default.vcl` and varnishd's message with line and column.
 */
export async function checkVarnish(vclPath: string, next: HopAddress): Promise<{ ok: true } | Refusal> {
  // varnishd reads the file and compiles as its own unprivileged user when run as root: give it a readable copy.
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "edge-vcc-"));
  try {
    await fs.chmod(work, 0o755);
    const copy = path.join(work, "default.vcl");
    await fs.copyFile(vclPath, copy);
    await fs.chmod(copy, 0o644);
    const run = await runTool("varnishd", ["-C", "-n", path.join(work, "n"), ...VARNISH_PARAMS, "-f", copy], { timeoutMs: 30_000 });
    if (run.code !== 0)
      return { ok: false, tool: "varnishd", message: `${VCL_FILE}: varnishd refused it: ${trimVccMessage(run.stderr + run.stdout)}` };
    const problem = inspectCompiledVcl(run.stderr + run.stdout, next);
    return problem
      ? { ok: false, tool: "varnishd", message: `${VCL_FILE}: refused: as compiled by varnishd, it ${problem}` }
      : { ok: true };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
