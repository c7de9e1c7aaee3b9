import path from "node:path";
import { hostPort, parseNginx, serializeNginx, type NginxDirective } from "./nginx";
import type { HopAddress, Refusal } from "./types";

// The openresty driver's policy (docs/product.md §8 "openresty"): the tenant's `openresty/nginx.conf` is an
// http-context fragment (upstream + server blocks). The module contract's tokens `listen 80` and `next-hop:80` are
// rewritten to the agent's ports; any other listen, upstream, proxy target or socket, includes, Lua files and
// package paths, and file paths outside the folder are refused. Lua runs without os/io (LUA_SANDBOX), and the agent
// runs this nginx in its sandbox, where `listen` and `next-hop` become UNIX sockets (docs/edge.md "Files and users").

/** The tenant's file. */
export const OPENRESTY_FILE = "openresty/nginx.conf";

/**
 * The platform's `init_by_lua_block` body: takes `os`, `io` and the ways back to them (`ffi`, `debug`,
 * `package.loadlib`, C loaders, `dofile`/`loadfile`) out of Lua before any tenant code runs.
 */
export const LUA_SANDBOX = `
    local loaded, preload = package.loaded, package.preload
    for _, name in ipairs({ "os", "io", "ffi", "debug", "jit.util", "jit.profile" }) do
        loaded[name] = nil
        preload[name] = nil
    end
    os, io, debug, dofile, loadfile = nil, nil, nil, nil, nil
    package.loadlib = nil
    package.cpath = ""
    local loaders = package.loaders or package.searchers
    if loaders then
        loaders[4] = nil
        loaders[3] = nil
    end
`;

const REFUSED = new Set([
  "include",
  "load_module",
  "lua_package_path",
  "lua_package_cpath",
  "init_by_lua",
  "init_by_lua_block",
  "resolver",
  "fastcgi_pass",
  "uwsgi_pass",
  "scgi_pass",
  "grpc_pass",
  "memcached_pass",
  "proxy_bind",
  "proxy_cache_path",
  "proxy_store",
  "proxy_temp_path",
  "client_body_temp_path",
  "fastcgi_temp_path",
  "uwsgi_temp_path",
  "scgi_temp_path",
  "error_log",
  "auth_basic_user_file",
  "user",
  "pid",
  "daemon",
  "env",
  "worker_processes",
  "lua_ssl_trusted_certificate",
  "ssl_certificate",
  "ssl_certificate_key",
  "ssl_trusted_certificate",
  "ssl_client_certificate",
  "ssl_dhparam",
  "ssl_crl",
  "ssl_password_file",
  "ssl_session_ticket_key",
  "ssl_stapling_file",
  "proxy_ssl_certificate",
  "proxy_ssl_certificate_key",
  "proxy_ssl_trusted_certificate",
  "proxy_ssl_crl",
  "proxy_ssl_password_file",
  "lua_code_cache",
]);

/**
 * Applies the policy to the tenant's fragment: `listen 80` → `listen[i]`, `next-hop:80` (upstream `server`,
 * `proxy_pass http://next-hop[:80]`) → `next`; `root`/`alias` relative paths kept inside `folder`. `listen` and
 * `next` are loopback TCP addresses, or nginx's `unix:<path>` for the node's sandbox (docs/edge.md "Files and
 * users"). Returns the rewritten fragment (lines kept where possible) or a policy refusal naming the line.
 */
export function renderOpenrestyFragment(
  text: string,
  listen: HopAddress | `unix:${string}`,
  next: HopAddress | `unix:${string}`,
  folder: string,
): { ok: true; conf: string } | Refusal {
  const refuse = (line: number, message: string): Refusal => ({
    ok: false,
    tool: "policy",
    message: `${OPENRESTY_FILE}: ${message} (line ${line})`,
  });
  let tree: NginxDirective[];
  try {
    tree = parseNginx(text);
  } catch (err) {
    return { ok: false, tool: "policy", message: `${OPENRESTY_FILE}: ${(err as Error).message}` };
  }
  const upstreams = new Set(tree.filter((d) => d.name === "upstream" && d.children).map((d) => d.args[0]));
  const nextHop = typeof next === "string" ? next : hostPort(next);
  const listenAt = typeof listen === "string" ? listen : hostPort(listen);
  // proxy_pass to a UNIX socket with a URI needs a ":" after the path (nginx's proxy_pass documentation).
  const passTo = (uri: string | undefined) =>
    typeof next === "string" ? `http://${nextHop}${uri ? `:${uri}` : ""}` : `http://${nextHop}${uri ?? ""}`;
  let problem: Refusal | null = null;
  const walk = (list: NginxDirective[], context: string): void => {
    for (const d of list) {
      if (problem) return;
      const name = d.name.toLowerCase();
      if (REFUSED.has(name)) return void (problem = refuse(d.line, `"${d.name}" is not allowed on the edge`));
      if (name.endsWith("_by_lua_file"))
        return void (problem = refuse(d.line, `"${d.name}" is not allowed: put the Lua code in a ${d.name.replace(/_file$/, "_block")}`));
      if (name === "access_log" && d.args[0] !== "off")
        return void (problem = refuse(d.line, 'access_log is not available on the edge: only "access_log off;"'));
      if (d.args.some((a) => /^unix:/i.test(a) || /[^a-z]unix:/i.test(a)))
        return void (problem = refuse(d.line, "Unix sockets are not allowed"));
      if (
        context === "http" &&
        ![
          "upstream",
          "server",
          "map",
          "geo",
          "lua_shared_dict",
          "split_clients",
          "limit_req_zone",
          "limit_conn_zone",
          "init_worker_by_lua_block",
          "log_format",
        ].includes(name) &&
        d.children
      ) {
        return void (problem = refuse(d.line, `"${d.name}" blocks are not allowed at the top of this file`));
      }
      if (name === "listen") {
        if (context !== "server") return void (problem = refuse(d.line, "listen belongs in a server block"));
        const [address, ...params] = d.args;
        if (address !== "80" || params.some((p) => !["default_server", "default"].includes(p))) {
          return void (problem = refuse(d.line, `only "listen 80" is allowed (the module contract); got "listen ${d.args.join(" ")}"`));
        }
        d.args = [listenAt, ...params];
      }
      if (name === "server" && context === "upstream") {
        const [address, ...params] = d.args;
        if (address !== "next-hop:80" && address !== "next-hop")
          return void (problem = refuse(d.line, `an upstream may only name next-hop:80; got "${address}"`));
        if (params.some((p) => /^(resolve|service=|backup)/.test(p)))
          return void (problem = refuse(d.line, `"${params.join(" ")}" is not allowed here`));
        d.args = [nextHop, ...params];
      }
      if (name === "proxy_pass") {
        const m = /^https?:\/\/([^/]+)(\/.*)?$/.exec(d.args[0] ?? "");
        if (!m || d.args[0].includes("$"))
          return void (problem = refuse(
            d.line,
            `proxy_pass must go to http://next-hop:80 or an upstream of this file; got "${d.args[0] ?? ""}"`,
          ));
        if (m[1] === "next-hop:80" || m[1] === "next-hop") d.args = [passTo(m[2])];
        else if (!upstreams.has(m[1]) || d.args[0].startsWith("https")) {
          return void (problem = refuse(
            d.line,
            `proxy_pass must go to http://next-hop:80 or an upstream of this file; got "${d.args[0]}"`,
          ));
        }
      }
      if (name === "root" || name === "alias") {
        const p = d.args[0] ?? "";
        if (p.includes("$") || path.isAbsolute(p) || p.split("/").includes("..")) {
          return void (problem = refuse(d.line, `${d.name} must be a path inside the openresty folder of the repository, e.g. "static"`));
        }
        d.args = [path.join(folder, p) + (p.endsWith("/") ? "/" : "")];
      }
      if (d.children) walk(d.children, name);
    }
  };
  walk(tree, "http");
  if (problem) return problem;
  for (const server of tree.filter((d) => d.name === "server")) {
    if (!server.children?.some((c) => c.name === "listen")) return refuse(server.line, 'a server block needs "listen 80"');
  }
  if (!tree.some((d) => d.name === "server")) return refuse(1, 'needs a server block with "listen 80"');
  return { ok: true, conf: serializeNginx(tree) };
}
