import fs from "node:fs/promises";
import path from "node:path";
import { renderModsecurityRules, MODSECURITY_FILE } from "./modsecurity";
import { checkNginx, makeNginxWork, nginxArgs, nginxMainConf, hostPort, NGINX_MODULES, PASS_THROUGH } from "./nginx";
import { checkNode, nodeEntry } from "./nodejs";
import { LUA_SANDBOX, OPENRESTY_FILE, renderOpenrestyFragment } from "./openresty";
import { haveTool, toolPath } from "./tools";
import {
  MODULE_ORDER,
  type ChainInput,
  type HopAddress,
  type ModuleName,
  type ProcessSpec,
  type Refusal,
  type RenderedChain,
} from "./types";
import { checkVarnish, VCL_FILE, wrapTenantVcl } from "./varnish";

// The module drivers (docs/product.md §8; docs/edge.md "Applying, on the node"): the platform's policy, the
// rendering of each module of a proxy chain into the version's folder, and the tools' own checks. Used by the edge
// agent and, through lib/edge/checks, by the console on every commit that lands on an environment branch.

export { haveTool, toolVersions } from "./tools";
export { inspectCompiledVcl, labelFor, renderVarnishRouter, trimVccMessage, VCL_FILE } from "./varnish";
export * from "./types";

/** Modules that run customer code: refused unless the console allows them (EDGE_ALLOW_CODE_MODULES). */
export const CODE_MODULES: readonly ModuleName[] = ["openresty", "nodejs"];

/** The repository files each module needs. */
export const MODULE_FILES: Record<ModuleName, string> = {
  modsecurity: MODSECURITY_FILE,
  openresty: OPENRESTY_FILE,
  varnish: VCL_FILE,
  nodejs: "nodejs/package.json or nodejs/index.js",
};

/**
 * The chain rules of docs/product.md §8 (names only): every module known, each at most once, in the order
 * modsecurity, openresty, varnish, nodejs, and no code module (openresty, nodejs) unless `allowCodeModules`.
 * Returns a policy refusal with a sentence for people, or null.
 */
export function chainPolicy(chain: readonly string[], allowCodeModules: boolean): Refusal | null {
  const refuse = (message: string): Refusal => ({ ok: false, tool: "policy", message });
  const known = MODULE_ORDER as readonly string[];
  let last = -1;
  const seen = new Set<string>();
  for (const name of chain) {
    const index = known.indexOf(name);
    if (index === -1) return refuse(`proxychain: "${name}" is not a module of this platform (known modules: ${MODULE_ORDER.join(", ")})`);
    if (seen.has(name)) return refuse(`proxychain: "${name}" appears twice in the proxy chain`);
    if (index < last) {
      return refuse(`proxychain: "${name}" must come before "${known[last]}" (modules run in this order: ${MODULE_ORDER.join(", ")})`);
    }
    seen.add(name);
    last = index;
    if (!allowCodeModules && (CODE_MODULES as readonly string[]).includes(name)) {
      return refuse(
        `proxychain: "${name}" runs your own code on the edge, which this platform does not allow (EDGE_ALLOW_CODE_MODULES is off); choose another module`,
      );
    }
  }
  return null;
}

async function writeFile(dir: string, rel: string, content: string, written: string[]): Promise<string> {
  const abs = path.join(dir, ...rel.split("/"));
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.writeFile(abs, content, { mode: 0o644 });
  written.push(rel);
  return abs;
}

/** Files of the repository under `prefix/` that are safe to write (no `..`, no absolute names). */
function filesUnder(files: Readonly<Record<string, string>>, prefix: string): [string, string][] {
  return Object.entries(files).filter(
    ([p]) => p.startsWith(prefix + "/") && !p.split("/").some((s) => s === ".." || s === "." || s === "") && !path.isAbsolute(p),
  );
}

/**
 * Renders one environment's chain into `input.dir` (docs/edge.md "Applying, on the node" steps 1–2): the chain
 * policy, then per module its policy and files, with the module contract's tokens rewritten to `input.listen[i]`
 * and the next hop (`input.listen[i + 1]`, or `input.lastHop` for the last module). Returns what to run (nginx per
 * modsecurity/openresty module as user "proxy", node as user "tenant"), the wrapped VCL for the shared varnishd,
 * or the first refusal (tool "policy"). Rejects only on file-system failures.
 */
export async function renderChain(input: ChainInput): Promise<RenderedChain | Refusal> {
  const policy = chainPolicy(input.chain, input.allowCodeModules);
  if (policy) return policy;
  if (input.listen.length !== input.chain.length)
    return { ok: false, tool: "policy", message: "internal: one listen address per module is needed" };
  const { dir } = input;
  await fs.mkdir(dir, { recursive: true });
  const written: string[] = [];
  const processes: ProcessSpec[] = [];
  let varnish: RenderedChain["varnish"];
  for (let i = 0; i < input.chain.length; i++) {
    const name = input.chain[i] as ModuleName;
    const listen = input.listen[i];
    const next: HopAddress = input.listen[i + 1] ?? input.lastHop;
    const missing = (file: string): Refusal => ({ ok: false, tool: "policy", message: `${file} is missing: the ${name} module needs it` });
    if (name === "varnish") {
      const text = input.files[VCL_FILE];
      if (text === undefined) return missing(VCL_FILE);
      const wrapped = wrapTenantVcl(text, input.key, next);
      if (!wrapped.ok) return wrapped;
      const vclPath = await writeFile(dir, VCL_FILE, wrapped.vcl, written);
      varnish = { vclPath, vclName: input.vclName };
    } else if (name === "modsecurity") {
      const text = input.files[MODSECURITY_FILE];
      if (text === undefined) return missing(MODSECURITY_FILE);
      const work = path.join(dir, "platform", "modsecurity");
      const rules = renderModsecurityRules(text, work);
      if (!rules.ok) return rules;
      await makeNginxWork(work);
      for (const sub of ["tmp", "data", "upload"]) await fs.mkdir(path.join(work, sub), { recursive: true });
      const rulesPath = await writeFile(dir, MODSECURITY_FILE, rules.rules, written);
      const body = [
        `    upstream edge_next_hop { server ${hostPort(next)}; keepalive 16; }`,
        "    server {",
        `        listen ${hostPort(listen)};`,
        "        client_max_body_size 0;",
        "        modsecurity on;",
        `        modsecurity_rules_file ${rulesPath};`,
        // ModSecurity's refusals (nginx's own 403, never an origin's: proxy_intercept_errors is off) carry
        // X-Edge-Status: waf-blocked, which the node's traffic counts as blocks (docs/traffic.md).
        "        error_page 403 = @edge_waf_blocked;",
        "        location @edge_waf_blocked { add_header X-Edge-Status waf-blocked always; return 403; }",
        "        location / {",
        "            proxy_pass http://edge_next_hop;",
        ...PASS_THROUGH.map((l) => `            ${l}`),
        "        }",
        "    }",
      ].join("\n");
      const conf = await writeFile(
        dir,
        "platform/modsecurity-nginx.conf",
        nginxMainConf({ modules: [NGINX_MODULES.modsecurity], work, body }),
        written,
      );
      processes.push(nginxProcess(name, conf, work, listen));
    } else if (name === "openresty") {
      const text = input.files[OPENRESTY_FILE];
      if (text === undefined) return missing(OPENRESTY_FILE);
      const folder = path.join(dir, "openresty");
      const fragment = renderOpenrestyFragment(text, listen, next, folder);
      if (!fragment.ok) return fragment;
      for (const [rel, content] of filesUnder(input.files, "openresty"))
        if (rel !== OPENRESTY_FILE) await writeFile(dir, rel, content, written);
      const fragmentPath = await writeFile(dir, OPENRESTY_FILE, fragment.conf, written);
      const work = path.join(dir, "platform", "openresty");
      await makeNginxWork(work);
      // The platform's include of the tenant's (already checked) fragment; tenants cannot include anything.
      const body = [`    init_by_lua_block {${LUA_SANDBOX}    }`, `    include ${fragmentPath};`].join("\n");
      const conf = await writeFile(
        dir,
        "platform/openresty-nginx.conf",
        nginxMainConf({ modules: [NGINX_MODULES.ndk, NGINX_MODULES.lua], work, body }),
        written,
      );
      processes.push(nginxProcess(name, conf, work, listen));
    } else if (name === "nodejs") {
      const entry = nodeEntry(input.files);
      if (!entry.ok) return entry;
      for (const [rel, content] of filesUnder(input.files, "nodejs")) await writeFile(dir, rel, content, written);
      const folder = path.join(dir, "nodejs");
      processes.push({
        module: "nodejs",
        command: toolPath("node") ?? process.execPath,
        // Node 20's permission model: reads only its folder; no writes, child processes or worker threads.
        args: ["--experimental-permission", `--allow-fs-read=${folder}/`, path.join(dir, ...entry.entry.split("/"))],
        env: { HOST: listen.host, PORT: String(listen.port), NEXT_HOP_HOST: next.host, NEXT_HOP_PORT: String(next.port) },
        cwd: folder,
        user: "tenant",
        listen,
      });
    }
  }
  return { ok: true, files: written, processes, ...(varnish ? { varnish } : {}) };
}

function nginxProcess(module: ModuleName, conf: string, work: string, listen: HopAddress): ProcessSpec {
  return {
    module,
    command: toolPath("nginx") ?? "/usr/sbin/nginx",
    args: nginxArgs(conf, work),
    env: {},
    cwd: work,
    user: "proxy",
    listen,
    writable: [work],
  };
}

/** Tool names per module, for skipping a check whose tool is not installed. */
const MODULE_TOOL: Record<ModuleName, string> = { modsecurity: "nginx", openresty: "nginx", varnish: "varnishd", nodejs: "node" };

/** Options of {@link checkChain}. */
export type CheckOptions = {
  /**
   * Run `varnishd -C` on the chain's VCL (default true: the console's checks). The edge agent passes false: on a
   * node `vcl.load` is varnishd's same compiler with the same message, and the agent inspects the C it kept
   * ({@link inspectCompiledVcl}), so each VCL is compiled once.
   */
  compileVarnish?: boolean;
};

/**
 * The tools' own checks over a rendered chain (docs/edge.md "Applying, on the node" step 3): `varnishd -C` with
 * vcc_allow_inline_c=off and vcc_unsafe_path=off (then the generated C inspected; left out when
 * `options.compileVarnish` is false), `nginx -t` per nginx module, `node --check` on the entry file. Returns the
 * first refusal, or ok with `skipped`: the tools that are not installed (their checks were not run; the caller logs
 * one line).
 */
export async function checkChain(
  rendered: RenderedChain,
  input: ChainInput,
  options: CheckOptions = {},
): Promise<{ ok: true; skipped: string[] } | Refusal> {
  const skipped: string[] = [];
  for (let i = 0; i < input.chain.length; i++) {
    const name = input.chain[i] as ModuleName;
    const tool = MODULE_TOOL[name];
    if (!tool) continue;
    if (name === "varnish" && options.compileVarnish === false) continue;
    if (!haveTool(tool)) {
      if (!skipped.includes(tool)) skipped.push(tool);
      continue;
    }
    const next = input.listen[i + 1] ?? input.lastHop;
    let result: { ok: true } | Refusal = { ok: true };
    if (name === "varnish" && rendered.varnish) result = await checkVarnish(rendered.varnish.vclPath, next);
    else if (name === "modsecurity" || name === "openresty") {
      const work = path.join(input.dir, "platform", name);
      const tenant = path.join(input.dir, ...(name === "modsecurity" ? MODSECURITY_FILE : OPENRESTY_FILE).split("/"));
      result = await checkNginx(
        path.join(input.dir, "platform", `${name}-nginx.conf`),
        work,
        name === "modsecurity" ? MODSECURITY_FILE : OPENRESTY_FILE,
        tenant,
      );
    } else if (name === "nodejs") {
      const entry = nodeEntry(input.files);
      if (!entry.ok) return entry;
      result = await checkNode(path.join(input.dir, ...entry.entry.split("/")), entry.entry);
    }
    if (!result.ok) return result;
  }
  return { ok: true, skipped };
}
