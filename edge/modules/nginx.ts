import fs from "node:fs/promises";
import path from "node:path";
import { runTool } from "./tools";
import type { HopAddress, Refusal } from "./types";

// What the two nginx-based modules share (docs/product.md §8 "modsecurity", "openresty"): Debian's dynamic modules,
// the platform's nginx.conf skeleton (pid, temp paths and logs inside the environment's folder), the WebSocket
// pass-through and `nginx -t`.

/** Debian's dynamic modules (libnginx-mod-http-modsecurity, libnginx-mod-http-ndk, libnginx-mod-http-lua). */
export const NGINX_MODULES = {
  modsecurity: "/usr/share/nginx/modules/ngx_http_modsecurity_module.so",
  ndk: "/usr/share/nginx/modules/ndk_http_module.so",
  lua: "/usr/share/nginx/modules/ngx_http_lua_module.so",
} as const;

/** One directive of an nginx configuration: `name args…;` or `name args… { children }`, with its 1-based line. */
export type NginxDirective = { name: string; args: string[]; line: number; children?: NginxDirective[] };

/** Parses nginx configuration text into directives; throws an Error naming the line on unbalanced braces or quotes. */
export function parseNginx(text: string): NginxDirective[] {
  let i = 0;
  let line = 1;
  const word = (): { text: string; line: number } | null => {
    while (i < text.length) {
      const c = text[i];
      if (c === "\n") line++;
      if (c === "#") {
        while (i < text.length && text[i] !== "\n") i++;
        continue;
      }
      if (!/\s/.test(c)) break;
      i++;
    }
    if (i >= text.length) return null;
    const startLine = line;
    const c = text[i];
    if (c === "{" || c === "}" || c === ";") {
      i++;
      return { text: c, line: startLine };
    }
    let out = "";
    if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) out += text[i++];
        if (text[i] === "\n") line++;
        out += text[i++];
      }
      if (i >= text.length) throw new Error(`unterminated quoted string (line ${startLine})`);
      i++;
      return { text: out, line: startLine };
    }
    while (i < text.length && !/[\s{};]/.test(text[i])) {
      if (text[i] === "\\" && i + 1 < text.length) out += text[i++];
      out += text[i++];
    }
    return { text: out, line: startLine };
  };
  const block = (depth: number): NginxDirective[] => {
    const out: NginxDirective[] = [];
    let current: NginxDirective | null = null;
    for (;;) {
      const w = word();
      if (!w) {
        if (depth > 0 || current) throw new Error(`unexpected end of file: a "}" or ";" is missing (line ${line})`);
        return out;
      }
      if (w.text === "}") {
        if (depth === 0 || current) throw new Error(`unexpected "}" (line ${w.line})`);
        return out;
      }
      if (w.text === ";") {
        if (!current) throw new Error(`unexpected ";" (line ${w.line})`);
        out.push(current);
        current = null;
      } else if (w.text === "{") {
        if (!current) throw new Error(`unexpected "{" (line ${w.line})`);
        // A Lua block's body is Lua, not nginx syntax: keep it verbatim.
        if (current.name.endsWith("_by_lua_block")) {
          const start = i;
          let depthLua = 1;
          while (i < text.length && depthLua > 0) {
            const ch = text[i];
            if (ch === '"' || ch === "'") {
              // A Lua string: braces inside do not count.
              i++;
              while (i < text.length && text[i] !== ch && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
            } else if (ch === "-" && text[i + 1] === "-") {
              while (i < text.length && text[i] !== "\n") i++;
              continue;
            } else if (ch === "[" && text[i + 1] === "[") {
              const end = text.indexOf("]]", i + 2);
              const stop = end === -1 ? text.length : end + 1;
              for (let j = i; j < stop; j++) if (text[j] === "\n") line++;
              i = stop;
            } else if (ch === "{") depthLua++;
            else if (ch === "}") depthLua--;
            else if (ch === "\n") line++;
            i++;
          }
          current.args.push(`{${text.slice(start, i - 1)}}`);
          current.children = undefined;
          (current as NginxDirective & { lua?: boolean }).lua = true;
        } else current.children = block(depth + 1);
        out.push(current);
        current = null;
      } else if (!current) current = { name: w.text, args: [], line: w.line };
      else current.args.push(w.text);
    }
  };
  return block(0);
}

// Words keep their escapes as written (the parser keeps backslashes), so only the quoting is chosen again here.
const quote = (s: string) => {
  if (/^[^\s;{}#"']+$/.test(s)) return s;
  if (!s.includes('"')) return `"${s}"`;
  if (!s.includes("'")) return `'${s}'`;
  return `"${s.replace(/(?<!\\)"/g, '\\"')}"`;
};

/** Renders directives back to nginx syntax (4-space indentation). */
export function serializeNginx(directives: readonly NginxDirective[]): string {
  // Blank lines keep each directive on its original line where possible, so nginx's "in file:line" points at the
  // tenant's own line.
  let out = "";
  let line = 1;
  const emit = (text: string) => {
    out += text;
    line += text.split("\n").length - 1;
  };
  const walk = (list: readonly NginxDirective[], indent: string) => {
    for (const d of list) {
      while (line < d.line) emit("\n");
      if ((d as NginxDirective & { lua?: boolean }).lua) {
        const body = d.args[d.args.length - 1];
        emit(`${indent}${[quote(d.name), ...d.args.slice(0, -1).map(quote)].join(" ")} ${body}\n`);
        continue;
      }
      const head = [quote(d.name), ...d.args.map(quote)].join(" ");
      if (!d.children) {
        emit(`${indent}${head};\n`);
        continue;
      }
      emit(`${indent}${head} {\n`);
      walk(d.children, indent + "    ");
      emit(`${indent}}\n`);
    }
  };
  walk(directives, "");
  return out;
}

/** The proxy settings every platform `location` uses: request headers intact (Host included), WebSocket upgrades. */
export const PASS_THROUGH = [
  "proxy_http_version 1.1;",
  "proxy_set_header Host $http_host;",
  "proxy_set_header Upgrade $http_upgrade;",
  "proxy_set_header Connection $edge_connection;",
  "proxy_redirect off;",
  "proxy_buffering off;",
  "proxy_request_buffering off;",
  "proxy_read_timeout 300s;",
  "proxy_send_timeout 300s;",
];

/**
 * The platform's nginx.conf around an http-context `body` (docs/product.md §8): `load_module` lines, one worker,
 * pid and temp folders under `work` (inside the environment's folder), logs to stderr (the agent collects them),
 * `$edge_connection` for WebSocket upgrades. `init` is an optional `init_by_lua_block` body.
 */
export function nginxMainConf(options: { modules: readonly string[]; work: string; body: string }): string {
  const w = options.work;
  return [
    "# Rendered by the edge platform (docs/product.md §8); do not edit.",
    ...options.modules.map((m) => `load_module ${m};`),
    "worker_processes 1;",
    `pid ${w}/nginx.pid;`,
    "error_log stderr notice;",
    "daemon off;",
    "events { worker_connections 1024; }",
    "http {",
    "    access_log off;",
    "    server_tokens off;",
    `    client_body_temp_path ${w}/tmp/client_body;`,
    `    proxy_temp_path ${w}/tmp/proxy;`,
    `    fastcgi_temp_path ${w}/tmp/fastcgi;`,
    `    uwsgi_temp_path ${w}/tmp/uwsgi;`,
    `    scgi_temp_path ${w}/tmp/scgi;`,
    '    map $http_upgrade $edge_connection { default upgrade; "" ""; }',
    options.body,
    "}",
    "",
  ].join("\n");
}

/** The arguments that run (or test, with `-t` first) the nginx.conf at `conf`: `-p <work> -e stderr -c <conf>`. */
export function nginxArgs(conf: string, work: string): string[] {
  return ["-p", work + "/", "-e", "stderr", "-c", conf];
}

/** Makes the folders nginx writes into (pid, temp paths) under `work`. */
export async function makeNginxWork(work: string): Promise<void> {
  for (const sub of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) await fs.mkdir(path.join(work, "tmp", sub), { recursive: true });
}

/** `host:port` for nginx (IPv6 in brackets). */
export const hostPort = (a: HopAddress) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/**
 * `nginx -t` on the rendered `conf`; a refusal names `file` (the tenant's file) and nginx's message, with the
 * tenant's line when the error is in its file and the platform's text replaced by "the platform's configuration".
 */
export async function checkNginx(conf: string, work: string, file: string, tenantPath: string): Promise<{ ok: true } | Refusal> {
  const run = await runTool("nginx", ["-t", ...nginxArgs(conf, work)], { timeoutMs: 30_000 });
  if (run.code === 0) return { ok: true };
  const out = `${run.stderr}\n${run.stdout}`;
  const emerg = out.split("\n").find((l) => /\[(emerg|alert|crit)\]/.test(l)) ?? out.trim().split("\n")[0] ?? "test failed";
  let message = emerg.replace(/^.*?\[(emerg|alert|crit)\]\s*\d+#\d+:\s*/, "");
  message = message.replace(new RegExp(`\\s+in ${tenantPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+)`), " (line $1)");
  message = message.split(path.dirname(conf)).join("");
  return { ok: false, tool: "nginx", message: `${file}: nginx refused it: ${message.trim()}` };
}
