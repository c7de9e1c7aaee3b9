import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTool } from "../modules";
import { renderOpenrestyFragment } from "../modules/openresty";
import { bridgeConfig, launcher, sandboxIds } from "./sandbox";
import {
  MODSEC_CONF,
  ROOT,
  STARTER_VCL,
  TOKEN,
  edgeAgent,
  fakeConsole,
  get,
  listen,
  origin,
  randomPorts,
  testEnvironment,
  until as untilWith,
  type EdgeAgent,
} from "./test-harness";

// The sandbox of tenants' code on a running node (docs/product.md §8 "Privileges"; docs/edge.md "Files and users").
// A fake console serves the desired state straight to a real agent (root, real haproxy, varnishd, nginx, node),
// with code modules allowed and none of the console's checks: every file the console would refuse reaches the node,
// so whatever holds here holds on the node itself. Attacker environments run their code (Node and OpenResty Lua)
// and report what each attempt got; every attempt must fail, and each target is shown to be reachable from the
// host, so a failure is the sandbox's doing.

const tools = ["haproxy", "varnishd", "varnishadm", "openssl", "nginx", "node", "unshare", "setpriv", "ip"];
const missing = tools.filter((t) => !haveTool(t));
const notRoot = process.getuid?.() !== 0;
const skip = (missing.length > 0 || notRoot) && process.env.CI !== "true";
const why = missing.length ? `${missing.join(", ")} missing` : "not running as root (the sandbox needs root)";

const starter = (file: string) => fs.readFileSync(path.join(ROOT, "lib/stacks/starters", file), "utf8");

/** The attacker's Node module: `/attack?op=…` tries one thing and answers JSON {ok, error}; anything else passes to next-hop. */
const NODE_ATTACKER = `
const http = require("node:http");
const net = require("node:net");
const fs = require("node:fs");
const answer = (res, body) => { res.writeHead(200, { "content-type": "application/json" }); res.end(JSON.stringify(body)); };
const fail = (e) => ({ ok: false, error: e.code || e.message });
function attack(q, res) {
  const op = q.get("op");
  if (op === "read") {
    try { return answer(res, { ok: true, data: fs.readFileSync(q.get("path"), "utf8").slice(0, 200) }); }
    catch (e) { return answer(res, fail(e)); }
  }
  if (op === "spawn") {
    try { return answer(res, { ok: true, data: String(require("node:child_process").execFileSync("/usr/bin/id")) }); }
    catch (e) { return answer(res, fail(e)); }
  }
  if (op === "connect" || op === "unix") {
    const s = op === "unix" ? net.connect({ path: q.get("path") }) : net.connect({ host: q.get("host"), port: Number(q.get("port")) });
    const t = setTimeout(() => { s.destroy(); answer(res, { ok: false, error: "timeout" }); }, 3000);
    s.on("connect", () => { clearTimeout(t); s.destroy(); answer(res, { ok: true }); });
    s.on("error", (e) => { clearTimeout(t); answer(res, fail(e)); });
    return;
  }
  if (op === "whoami") return answer(res, { ok: true, uid: process.getuid(), gid: process.getgid(), groups: process.getgroups() });
  answer(res, { ok: false, error: "unknown op" });
}
http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/attack") return attack(url.searchParams, res);
  const up = http.request({ host: process.env.NEXT_HOP_HOST, port: Number(process.env.NEXT_HOP_PORT), method: req.method, path: req.url, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on("error", () => { res.writeHead(502); res.end(); });
  req.pipe(up);
}).listen(Number(process.env.PORT), process.env.HOST);
`;

/**
 * The attacker's OpenResty module: the same `/attack?op=…` answers from Lua, other paths pass to next-hop. The
 * node's policy refuses "unix:" in the file; the Lua code builds it from two strings, as an attacker would.
 */
const LUA_ATTACKER = `
upstream next_hop {
    server next-hop:80;
}
server {
    listen 80;
    location /attack {
        content_by_lua_block {
            local args = ngx.req.get_uri_args()
            local op = args.op
            local function answer(ok, err)
                ngx.header["content-type"] = "application/json"
                if ok then ngx.say('{"ok":true}') else ngx.say('{"ok":false,"error":"' .. (tostring(err):gsub('[%c"\\\\]', " ")) .. '"}') end
            end
            if op == "connect" or op == "unix" then
                local sock = ngx.socket.tcp()
                sock:settimeout(3000)
                local ok, err
                if op == "unix" then ok, err = sock:connect("un" .. "ix:" .. args.path) else ok, err = sock:connect(args.host, tonumber(args.port)) end
                if ok then sock:close() end
                return answer(ok, err)
            elseif op == "read" then
                local ok, err = pcall(function() return io.open(args.path):read("*a") end)
                return answer(ok, err)
            elseif op == "require" then
                package.path = args.dir .. "/?." .. args.ext
                local ok, err = pcall(require, args.name)
                return answer(ok, err)
            elseif op == "spawn" then
                local ok, err = pcall(function() return os.execute("/usr/bin/id") end)
                if not ok then return answer(ok, err) end
                ok, err = pcall(function() return io.popen("/usr/bin/id"):read("*a") end)
                return answer(ok, err)
            elseif op == "pipe" then
                local ok, err = pcall(require, "ngx.pipe")
                if ok then ok, err = pcall(function() return err.spawn({ "/usr/bin/id" }) end) end
                return answer(ok, err)
            end
            return answer(false, "unknown op")
        }
    }
    location / {
        proxy_pass http://next_hop;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
    }
}
`;

// The pieces the sandbox renders (no root needed).
describe("the sandbox's rendering", () => {
  it("renders openresty's module contract onto the sandbox's UNIX sockets", () => {
    const text = [
      "upstream next_hop { server next-hop:80; keepalive 8; }",
      "server {",
      "    listen 80 default_server;",
      "    location / { proxy_pass http://next_hop; }",
      "    location /direct { proxy_pass http://next-hop:80/base/; }",
      "    location /plain { proxy_pass http://next-hop; }",
      "}",
    ].join("\n");
    const r = renderOpenrestyFragment(text, "unix:/s/in.sock", "unix:/s/out.sock", "/v/openresty");
    expect(r.ok).toBe(true);
    const conf = r.ok ? r.conf : "";
    expect(conf).toMatch(/server unix:\/s\/out\.sock;/);
    expect(conf).toContain("listen unix:/s/in.sock default_server;");
    // nginx wants a ":" between a UNIX socket path and a URI (proxy_pass documentation).
    expect(conf).toContain("proxy_pass http://unix:/s/out.sock:/base/;");
    expect(conf).toContain("proxy_pass http://unix:/s/out.sock;");
    expect(conf).not.toMatch(/127\.0\.0\.1|next-hop/);
    // The tenant may still not name a socket itself.
    const own = renderOpenrestyFragment(
      "server { listen 80; location / { proxy_pass http://unix:/tmp/x.sock; } }",
      "unix:/s/in.sock",
      "unix:/s/out.sock",
      "/v",
    );
    expect(own).toMatchObject({ ok: false, tool: "policy" });
  });

  it("renders the bridge and the launcher", () => {
    const cfg = bridgeConfig({ host: "127.0.0.1", port: 20011 }, { host: "127.0.0.1", port: 20012 }, "/s/in.sock", "/s/out.sock");
    expect(cfg).toMatch(/bind 127\.0\.0\.1:20011\n\s+server tenant unix@\/s\/in\.sock/);
    expect(cfg).toMatch(/bind unix@\/s\/out\.sock mode 660\n\s+server next 127\.0\.0\.1:20012/);
    expect(cfg).toMatch(/mode tcp/);
    const ids = sandboxIds(17);
    expect(ids).toEqual({ tenant: 1_000_000_017, bridge: 1_500_000_017, gid: 1_000_000_017 });
    expect(() => sandboxIds(0)).toThrow(/no sandbox user/);
    const argv = launcher({ uid: ids.tenant, gid: ids.gid, netns: true });
    expect(argv.slice(1, 3)).toEqual(["--net", "--"]);
    for (const flag of [
      `--reuid=${ids.tenant}`,
      `--regid=${ids.gid}`,
      "--clear-groups",
      "--no-new-privs",
      "--inh-caps=-all",
      "--bounding-set=-all",
    ])
      expect(argv).toContain(flag);
    expect(argv.at(-1)).toBe("--");
    expect(launcher({ uid: ids.bridge, gid: ids.gid, netns: false })).not.toContain("--net");
  });
});

/**
 * An origin that completes a WebSocket handshake (RFC 6455 §4.2.2: Sec-WebSocket-Accept, which HAProxy checks) and
 * then echoes every byte back.
 */
function echoOrigin(): http.Server {
  const server = http.createServer((_req, res) => res.writeHead(426).end());
  server.on("upgrade", (req, socket: net.Socket) => {
    const accept = createHash("sha1")
      .update(`${String(req.headers["sec-websocket-key"])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.pipe(socket);
  });
  return server;
}

/** Sends an Upgrade request for `host` to the node, then `payload`; resolves to what came back after the 101. */
function upgradeEcho(port: number, host: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.2", port });
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no echo through ${host}`))), 10_000);
    let got = "";
    let upgraded = false;
    socket.on("connect", () =>
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ),
    );
    socket.on("data", (d: Buffer) => {
      got += d.toString();
      if (!upgraded && got.includes("\r\n\r\n")) {
        if (!got.startsWith("HTTP/1.1 101")) return (clearTimeout(timer), socket.destroy(), reject(new Error(got.split("\r\n")[0])));
        upgraded = true;
        got = got.slice(got.indexOf("\r\n\r\n") + 4);
        socket.write(payload);
      }
      if (upgraded && got.length >= payload.length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      }
    });
    socket.on("error", (e) => (clearTimeout(timer), reject(e)));
  });
}

type Attempt = { ok: boolean; error?: string; data?: string; uid?: number; gid?: number; groups?: number[] };

describe.skipIf(skip)(`the sandbox of tenants' code on a running node${skip ? ` (skipped: ${why})` : ""}`, () => {
  const main = origin("main");
  const ws = echoOrigin();
  let wsPort = 0;
  const con = fakeConsole();
  let node: EdgeAgent;
  let stateDir = "";
  const { httpPort, portBase } = randomPorts("sandbox");
  let mainPort = 0;
  // A listener the tenants must not reach: it records every connection.
  const seen: string[] = [];
  const recorder = net.createServer((c) => {
    seen.push(String(c.remotePort));
    c.destroy();
  });
  let recorderPort = 0;

  const settings = { allowCodeModules: true, allowPrivateOrigins: true, edgeAddresses: [] };
  const env = (id: number, hostname: string, extra: object = {}) => testEnvironment(id, hostname, mainPort, extra);
  const nodeStarter = { "nodejs/index.js": starter("nodejs/index.js"), "nodejs/package.json": starter("nodejs/package.json") };
  const live = () => [
    env(31, "lua.test", { chain: ["openresty"], files: { "openresty/nginx.conf": starter("openresty/nginx.conf") } }),
    env(32, "node.test", { chain: ["nodejs"], files: nodeStarter }),
    env(33, "victim.test", { chain: ["varnish"], files: { "varnish/default.vcl": STARTER_VCL } }),
    env(35, "attack-node.test", { chain: ["nodejs"], files: { "nodejs/index.js": NODE_ATTACKER } }),
    env(36, "attack-lua.test", { chain: ["openresty"], files: { "openresty/nginx.conf": LUA_ATTACKER } }),
    env(38, "ws-node.test", { chain: ["nodejs"], files: nodeStarter, origin: { address: "127.0.0.1", port: wsPort } }),
    env(39, "ws-lua.test", {
      chain: ["openresty"],
      files: { "openresty/nginx.conf": starter("openresty/nginx.conf") },
      origin: { address: "127.0.0.1", port: wsPort },
    }),
    env(37, "full.test", {
      chain: ["modsecurity", "openresty", "varnish", "nodejs"],
      files: {
        "modsecurity/modsecurity.conf": MODSEC_CONF,
        "openresty/nginx.conf": starter("openresty/nginx.conf"),
        "varnish/default.vcl": STARTER_VCL,
        ...nodeStarter,
      },
    }),
  ];
  // Files the console's checks refuse, sent to the node unchecked: the node's own policy and tools refuse them.
  const unchecked = () => [
    env(41, "inline-c.test", { chain: ["varnish"], files: { "varnish/default.vcl": `${STARTER_VCL}\nC{ #include <stdlib.h> }C\n` } }),
    env(42, "fileread.test", {
      chain: ["varnish"],
      files: {
        "varnish/default.vcl": STARTER_VCL.replace(
          "sub vcl_recv {",
          'import std;\nsub vcl_recv {\n    set req.http.X-Leak = std.fileread("/etc/passwd");',
        ),
      },
    }),
    env(43, "backend.test", {
      chain: ["varnish"],
      files: { "varnish/default.vcl": `${STARTER_VCL}\nbackend evil { .host = "10.0.0.1"; .port = "80"; }\n` },
    }),
    env(44, "vmod.test", {
      chain: ["varnish"],
      files: { "varnish/default.vcl": STARTER_VCL.replace("vcl 4.1;", "vcl 4.1;\nimport directors;") },
    }),
    env(45, "include.test", { chain: ["modsecurity"], files: { "modsecurity/modsecurity.conf": `${MODSEC_CONF}\nInclude /etc/passwd\n` } }),
    env(46, "luafile.test", {
      chain: ["openresty"],
      files: { "openresty/nginx.conf": "server {\n    listen 80;\n    location / { content_by_lua_file /etc/passwd; }\n}\n" },
    }),
    env(47, "script.test", {
      chain: ["modsecurity"],
      files: { "modsecurity/modsecurity.conf": `${MODSEC_CONF}\nSecRuleScript /tmp/x.lua "phase:1,deny,id:9001"\n` },
    }),
    env(48, "nginx-include.test", {
      chain: ["openresty"],
      files: { "openresty/nginx.conf": "include /etc/nginx/mime.types;\nserver {\n    listen 80;\n}\n" },
    }),
  ];

  let agentOutput = () => "";
  const until = <T>(what: string, fn: () => Promise<T | null | false | undefined> | T | null | false | undefined, timeoutMs = 30_000) =>
    untilWith(what, fn, timeoutMs, agentOutput);
  const agentState = () =>
    JSON.parse(fs.readFileSync(path.join(stateDir, "private", "agent.json"), "utf8")) as {
      lastHops: Record<string, number>;
      active: Record<string, { modulePorts: number[]; processes: { name: string; spec: { readySocket?: string; bridge?: boolean } }[] }>;
    };
  const pidOf = (key: string, module: string, bridge = false) => {
    const name = agentState().active[key].processes.find((p) => p.name.startsWith(`${key}-${module}-`) && !!p.spec.bridge === bridge)!.name;
    return { name, pid: node.pidOf(name) };
  };
  const attack = async (host: string, query: Record<string, string>): Promise<Attempt> => {
    const r = await get(httpPort, host, {}, `/attack?${new URLSearchParams(query)}`);
    expect(r.status, r.body).toBe(200);
    return JSON.parse(r.body) as Attempt;
  };
  const both = async (query: Record<string, string>) => ({
    node: await attack("attack-node.test", query),
    lua: await attack("attack-lua.test", query),
  });
  const hostCanConnect = (target: { host: string; port: number } | { path: string }) =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(target as net.NetConnectOpts);
      s.on("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-sbx-"));
    mainPort = await listen(main.server);
    wsPort = await listen(ws);
    await new Promise<void>((r) => recorder.listen(0, "127.0.0.1", () => r()));
    recorderPort = (recorder.address() as net.AddressInfo).port;
    await listen(con.server);
    node = edgeAgent({ stateDir, consoleUrl: con.url(), httpPort, portBase });
    agentOutput = () => node.log();
    con.set(1, [...live(), ...unchecked()], settings);
    node.start();
    await until("reports for the live environments", () => [31, 32, 33, 35, 36, 37, 38, 39].every((id) => con.lastReportFor(id)), 90_000);
  }, 120_000);

  afterAll(async () => {
    await node.stop("SIGTERM");
    const left = node.leftovers();
    ws.closeAllConnections();
    await Promise.all([main.server, ws, con.server, recorder].map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(stateDir, { recursive: true, force: true });
    expect(left, "processes left after the agent stopped").toEqual([]);
  }, 60_000);

  it("§8 modules and Privileges: the openresty and nodejs starters serve through their sandbox, each tenant as its own user in its own network namespace", async () => {
    for (const id of [31, 32, 33, 35, 36, 37, 38, 39])
      expect(con.lastReportFor(id), `e${id}: ${JSON.stringify(con.lastReportFor(id))}`).toMatchObject({ status: "applied" });
    for (const host of ["lua.test", "node.test"]) {
      const r = await get(httpPort, host, {}, "/hello");
      expect(r.status, host).toBe(200);
      expect(r.body, host).toBe("hello from main");
    }
    // Every module at once: modsecurity's nginx (host) → openresty (sandbox) → varnish (host) → node (sandbox).
    const first = await get(httpPort, "full.test", {}, "/full");
    const second = await get(httpPort, "full.test", {}, "/full");
    expect(first.body).toBe("hello from main");
    expect([first.headers["x-cache"], second.headers["x-cache"]]).toEqual(["MISS", "HIT"]);
    expect((await get(httpPort, "full.test", {}, "/full?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")).status).toBe(403);
    // WebSocket upgrades pass through the bridge and the sockets both ways (docs/product.md §8: Upgrade passes through).
    for (const host of ["ws-node.test", "ws-lua.test"])
      expect(await upgradeEcho(httpPort, host, `hello ${host}`), host).toBe(`hello ${host}`);
    // §8 Privileges: the tenant's process runs as its environment's numeric user, no groups, no capabilities, no
    // new privileges, in a network namespace other than the host's.
    const hostNet = fs.readlinkSync("/proc/self/ns/net");
    const rssKb: Record<string, string> = {};
    // Resident (kB): all of it, and the part that is the process's own (anonymous; the rest is shared program text).
    const rssOf = (text: string) => `${/^VmRSS:\s+(\d+)/m.exec(text)?.[1]} (own ${/^RssAnon:\s+(\d+)/m.exec(text)?.[1]})`;
    for (const [key, module] of [
      ["e31", "openresty"],
      ["e32", "nodejs"],
    ] as const) {
      const id = Number(key.slice(1));
      const { pid } = pidOf(key, module);
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      const field = (n: string) => new RegExp(`^${n}:[ \\t]*(.*)$`, "m").exec(status)?.[1]?.trim() ?? "";
      expect(field("Uid").split(/\s+/)[0], key).toBe(String(sandboxIds(id).tenant));
      expect(field("Gid").split(/\s+/)[0], key).toBe(String(sandboxIds(id).gid));
      expect(field("Groups"), key).toBe("");
      expect(field("NoNewPrivs"), key).toBe("1");
      expect(field("CapEff"), key).toBe("0000000000000000");
      expect(field("CapBnd"), key).toBe("0000000000000000");
      expect(fs.readlinkSync(`/proc/${pid}/ns/net`), key).not.toBe(hostNet);
      const bridge = pidOf(key, module, true).pid;
      expect(fs.readlinkSync(`/proc/${bridge}/ns/net`), `${key} bridge`).toBe(hostNet);
      expect(fs.readFileSync(`/proc/${bridge}/status`, "utf8"), `${key} bridge`).toMatch(
        new RegExp(`^Uid:\\s+${sandboxIds(id).bridge}\\s`, "m"),
      );
      rssKb[`${module} tenant`] = rssOf(status);
      rssKb[`${module} bridge`] = rssOf(fs.readFileSync(`/proc/${bridge}/status`, "utf8"));
    }
    console.log(`RSS per sandboxed process (kB, after serving): ${JSON.stringify(rssKb)}`);
  });

  it("§8 Privileges: tenant code cannot read EDGE_STATE_DIR (state with secrets, node token) or another environment's files", async () => {
    const victimVersion = fs.readdirSync(path.join(stateDir, "envs", "e33"))[0];
    const victimVcl = path.join(stateDir, "envs", "e33", victimVersion, "varnish", "default.vcl");
    const agentPid = node.child()!.pid!;
    const targets = [
      path.join(stateDir, "private", "agent.json"),
      path.join(stateDir, "private", "varnish.secret"),
      victimVcl,
      `/proc/${agentPid}/environ`, // the node token is in the agent's environment
    ];
    for (const target of targets) {
      expect(fs.readFileSync(target, "utf8").length, `${target} exists and root reads it`).toBeGreaterThan(0);
      const { node: n, lua } = await both({ op: "read", path: target });
      expect(n, `node read ${target}`).toMatchObject({ ok: false });
      expect(n.error).toBe("ERR_ACCESS_DENIED");
      expect(lua, `lua read ${target}`).toMatchObject({ ok: false });
      expect(lua.error).toMatch(/attempt to index .*'io'/);
    }
    // Lua's require reads a file through package.path and quotes it in a syntax error: the file modes stop it.
    // Its own file shows the oracle works; the victim's VCL and the agent's state are not found.
    const ownVersion = fs.readdirSync(path.join(stateDir, "envs", "e36"))[0];
    const own = await attack("attack-lua.test", {
      op: "require",
      dir: path.join(stateDir, "envs", "e36", ownVersion, "openresty"),
      name: "nginx",
      ext: "conf",
    });
    expect(own.ok).toBe(false);
    expect(own.error).toMatch(/upstream|unexpected symbol|syntax error|'=' expected/);
    const theirs = await attack("attack-lua.test", { op: "require", dir: path.dirname(victimVcl), name: "default", ext: "vcl" });
    expect(theirs.error).toMatch(/module 'default' not found/);
    expect(theirs.error).not.toMatch(/vcl 4|backend/);
    const secrets = await attack("attack-lua.test", { op: "require", dir: path.join(stateDir, "private"), name: "agent", ext: "json" });
    expect(secrets.error).toMatch(/module 'agent' not found/);
    expect(secrets.error).not.toMatch(/secret-|hopTokens/);
  });

  it("§8 Privileges: tenant code cannot reach another environment's last hop or module, varnish, its admin port, HAProxy's hold listener, the console, the Runtime API or private networks", async () => {
    const state = agentState();
    const tcp: [string, string, number][] = [
      ["another environment's last hop", "127.0.0.1", state.lastHops.e33],
      ["another environment's module (bridge port)", "127.0.0.1", state.active.e32.modulePorts[0]],
      ["the varnish listen port", "127.0.0.1", portBase],
      ["the varnish admin port", "127.0.0.1", portBase + 1],
      ["HAProxy's hold listener", "127.0.0.1", portBase + 3],
      ["the console", "127.0.0.1", Number(new URL(con.url()).port)],
      ["the node's public port", "127.0.0.2", httpPort],
      ["a listener of the host", "127.0.0.1", recorderPort],
    ];
    for (const [what, host, port] of tcp) {
      expect(await hostCanConnect({ host, port }), `${what} ${host}:${port} accepts from the host`).toBe(true);
      const { node: n, lua } = await both({ op: "connect", host, port: String(port) });
      expect(n, `node → ${what}`).toMatchObject({ ok: false, error: "ECONNREFUSED" });
      expect(lua, `lua → ${what}`).toMatchObject({ ok: false });
      expect(lua.error, `lua → ${what}`).toMatch(/refused/);
    }
    const before = seen.length;
    expect(before, "the host's own test connection was recorded").toBeGreaterThan(0);
    await both({ op: "connect", host: "127.0.0.1", port: String(recorderPort) });
    expect(seen.length, "connections from tenants to the host's listener").toBe(before);
    // Private networks and the metadata address: no route at all inside the namespace.
    for (const host of ["10.0.0.1", "169.254.169.254", "192.168.1.1"]) {
      const { node: n, lua } = await both({ op: "connect", host, port: "80" });
      expect(n, `node → ${host}`).toMatchObject({ ok: false, error: "ENETUNREACH" });
      expect(lua, `lua → ${host}`).toMatchObject({ ok: false });
      expect(lua.error, `lua → ${host}`).toMatch(/unreachable/);
    }
    // UNIX sockets: HAProxy's Runtime API (0700 folder) and another environment's sandbox socket (its folder's group).
    const e32In = state.active.e32.processes.find((p) => p.spec.readySocket)!.spec.readySocket!;
    for (const [what, socket] of [
      ["the HAProxy Runtime API", path.join(stateDir, "haproxy", "admin.sock")],
      ["the HAProxy master socket", path.join(stateDir, "haproxy", "master.sock")],
      ["another environment's sandbox socket", e32In],
    ]) {
      expect(await hostCanConnect({ path: socket }), `${what} accepts from the host`).toBe(true);
      const { node: n, lua } = await both({ op: "unix", path: socket });
      expect(n, `node → ${what}`).toMatchObject({ ok: false, error: "EACCES" });
      expect(lua, `lua → ${what}`).toMatchObject({ ok: false });
      expect(lua.error, `lua → ${what}`).toMatch(/permission denied/i);
    }
  });

  it("§8 Privileges: tenant code cannot run commands", async () => {
    const n = await attack("attack-node.test", { op: "spawn" });
    expect(n).toMatchObject({ ok: false, error: "ERR_ACCESS_DENIED" });
    const lua = await attack("attack-lua.test", { op: "spawn" });
    expect(lua.ok).toBe(false);
    expect(lua.error).toMatch(/attempt to index .*'os'/);
    const pipe = await attack("attack-lua.test", { op: "pipe" });
    expect(pipe.ok).toBe(false);
    const who = await attack("attack-node.test", { op: "whoami" });
    expect(who).toMatchObject({ ok: true, uid: sandboxIds(35).tenant, gid: sandboxIds(35).gid });
    // getgroups(2) may list the effective gid; nothing else.
    expect(who.groups?.filter((g) => g !== sandboxIds(35).gid)).toEqual([]);
  });

  it("§8 modules: VCL and nginx tricks sent without the console's checks are refused on the node", async () => {
    await until(
      "reports for the unchecked environments",
      () => [41, 42, 43, 44, 45, 46, 47, 48].every((id) => con.lastReportFor(id)),
      60_000,
    );
    const expected: Record<number, RegExp> = {
      41: /inline C|C\{|vcc_allow_inline_c/i,
      42: /fileread/,
      43: /backend/i,
      44: /directors|import/i,
      45: /Include/,
      46: /content_by_lua_file/,
      47: /SecRuleScript/i,
      48: /include/,
    };
    for (const [id, message] of Object.entries(expected)) {
      const r = con.lastReportFor(Number(id))!;
      expect(r.status, `e${id}: ${JSON.stringify(r)}`).toBe("failed");
      expect(r.tool, `e${id}: ${r.message}`).toMatch(/^(policy|varnishd|nginx)$/);
      expect(r.message, `e${id}`).toMatch(message);
      console.log(`e${id} refused by ${r.tool}: ${r.message?.split("\n")[0]}`);
    }
    // Nothing of them serves: their hostnames are not configured.
    expect((await get(httpPort, "fileread.test")).headers["x-edge-status"]).toBe("not-configured");
  });

  it("§8 Desired state: a new version of a sandboxed environment replaces the old one, whose processes, folder and sockets go", async () => {
    const before = pidOf("e32", "nodejs");
    const oldFolder = fs.readdirSync(path.join(stateDir, "envs", "e32"));
    expect(oldFolder).toHaveLength(1);
    const changed = live().map((e) =>
      e.key === "e32" ? { ...e, version: 2, files: { ...nodeStarter, "nodejs/index.js": `// v2\n${nodeStarter["nodejs/index.js"]}` } } : e,
    );
    con.set(2, [...changed, ...unchecked()], settings);
    await until("e32 v2 applied", () => con.lastReportFor(32)?.version === 2 && con.lastReportFor(32));
    expect(con.lastReportFor(32)).toMatchObject({ status: "applied" });
    expect(pidOf("e32", "nodejs").pid).not.toBe(before.pid);
    expect(fs.existsSync(`/proc/${before.pid}`) && !/\) Z /.test(fs.readFileSync(`/proc/${before.pid}/stat`, "utf8"))).toBe(false);
    const folders = fs.readdirSync(path.join(stateDir, "envs", "e32"));
    expect(folders).toHaveLength(1);
    expect(folders[0]).not.toBe(oldFolder[0]);
    expect((await get(httpPort, "node.test", {}, "/v2")).body).toBe("hello from main");
  }, 60_000);

  it("§8 Agent settings: sandboxed chains keep serving while the agent is down; the restarted agent adopts tenants and bridges", async () => {
    const processes = () =>
      [pidOf("e31", "openresty"), pidOf("e31", "openresty", true), pidOf("e32", "nodejs"), pidOf("e32", "nodejs", true)].map((p) => p.pid);
    const before = processes();
    await node.stop("SIGKILL");
    for (const host of ["lua.test", "node.test"]) expect((await get(httpPort, host, {}, "/agent-down")).body, host).toBe("hello from main");
    const reports = con.reports.length;
    node.start();
    await until("the restarted agent reports", () => con.reports.length > reports, 60_000);
    expect(processes()).toEqual(before);
    for (const host of ["lua.test", "node.test"]) expect((await get(httpPort, host, {}, "/agent-back")).body, host).toBe("hello from main");
  }, 90_000);

  it("§8 Agent settings (supervision) and Privileges: a tenant nginx and a tenant node killed with SIGKILL come back in their sandbox", async () => {
    for (const [key, module, host] of [
      ["e31", "openresty", "lua.test"],
      ["e32", "nodejs", "node.test"],
    ] as const) {
      const { name, pid } = pidOf(key, module);
      process.kill(pid, "SIGKILL");
      await until(
        `${module} restarted and serving`,
        async () => node.pidOf(name) !== pid && (await get(httpPort, host, {}, "/again")).body === "hello from main",
        30_000,
      );
      const now = node.pidOf(name);
      expect(fs.readlinkSync(`/proc/${now}/ns/net`)).not.toBe(fs.readlinkSync("/proc/self/ns/net"));
      expect(fs.readFileSync(`/proc/${now}/status`, "utf8")).toMatch(
        new RegExp(`^Uid:\\s+${sandboxIds(Number(key.slice(1))).tenant}\\s`, "m"),
      );
    }
  }, 90_000);
});

// Where the sandbox cannot be made (here: the agent is not root), code modules are refused with tool `agent`
// rather than run without it, unless EDGE_UNSAFE_NO_SANDBOX=true (development) says otherwise.
describe.skipIf(skip)(`code modules on a node without the sandbox${skip ? ` (skipped: ${why})` : ""}`, () => {
  const main = origin("main");
  const con = fakeConsole();
  const { httpPort, portBase } = randomPorts("sandboxUnprivileged");
  let stateDir = "";
  let child: ChildProcess | null = null;
  let log = "";
  const NOBODY = 65534;

  /** The agent as user nobody (not root), with the harness's settings and `extra` variables. */
  const startAgent = (extra: Record<string, string> = {}) => {
    log = "";
    child = spawn(process.execPath, ["--import", "tsx", "edge/agent/main.ts"], {
      cwd: ROOT,
      uid: NOBODY,
      gid: NOBODY,
      env: {
        NODE_ENV: "test",
        HOME: stateDir,
        PATH: "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        EDGE_NODE_TOKEN: TOKEN,
        CONSOLE_URL: con.url(),
        EDGE_BIND_ADDRESS: "127.0.0.2",
        EDGE_HTTP_PORT: String(httpPort),
        EDGE_HTTPS_PORT: String(httpPort + 1),
        EDGE_STATE_DIR: stateDir,
        EDGE_INTERNAL_PORT_BASE: String(portBase),
        ...extra,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  };
  const stopAgent = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((r) => {
      c.once("close", () => r());
      c.kill("SIGTERM");
    });
  };
  const until = <T>(what: string, fn: () => Promise<T | null | false | undefined> | T | null | false | undefined, timeoutMs = 60_000) =>
    untilWith(what, fn, timeoutMs, () => log);

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-nosbx-"));
    fs.chownSync(stateDir, NOBODY, NOBODY);
    await listen(main.server);
    await listen(con.server);
    const port = (main.server.address() as net.AddressInfo).port;
    con.set(
      1,
      [
        testEnvironment(51, "node-nosbx.test", port, {
          chain: ["nodejs"],
          files: { "nodejs/index.js": starter("nodejs/index.js"), "nodejs/package.json": starter("nodejs/package.json") },
        }),
        testEnvironment(52, "lua-nosbx.test", port, {
          chain: ["openresty"],
          files: { "openresty/nginx.conf": starter("openresty/nginx.conf") },
        }),
      ],
      { allowCodeModules: true, allowPrivateOrigins: true, edgeAddresses: [] },
    );
  }, 30_000);

  afterAll(async () => {
    await stopAgent();
    const run = path.join(stateDir, "run");
    for (const f of fs.existsSync(run) ? fs.readdirSync(run).filter((n) => n.endsWith(".pid")) : []) {
      try {
        process.kill(-Number(fs.readFileSync(path.join(run, f), "utf8")), "SIGKILL");
      } catch {
        // gone
      }
    }
    await Promise.all([main.server, con.server].map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it("§8 Privileges: without the sandbox, nodejs and openresty are refused with tool agent and a message that says why and what to do", async () => {
    startAgent();
    const reports = await until("reports for e51 and e52", () => {
      const r = [con.lastReportFor(51), con.lastReportFor(52)];
      return r.every(Boolean) ? r : null;
    });
    for (const r of reports) {
      expect(r!.status, JSON.stringify(r)).toBe("failed");
      expect(r!.tool).toBe("agent");
      expect(r!.message).toMatch(/runs your own code, which this node runs only in its sandbox/);
      expect(r!.message).toMatch(/the agent does not run as root/);
      expect(r!.message).toMatch(/EDGE_UNSAFE_NO_SANDBOX=true/);
    }
    // Nothing of theirs runs: no process was started for them.
    expect(fs.readdirSync(path.join(stateDir, "run")).filter((f) => /^e5[12]-/.test(f))).toEqual([]);
    await stopAgent();
  }, 90_000);

  it("§8 Privileges: only EDGE_UNSAFE_NO_SANDBOX=true runs them unisolated, and the agent says so in its log", async () => {
    const before = con.reports.length;
    startAgent({ EDGE_UNSAFE_NO_SANDBOX: "true" });
    await until(
      "applied reports for e51 and e52 after the restart",
      () =>
        con.reports
          .slice(before)
          .flatMap((r) => r.environments)
          .filter((e) => e.status === "applied" && [51, 52].includes(e.environmentId)).length === 2,
    );
    expect(log).toMatch(/e51: nodejs runs WITHOUT the sandbox \(EDGE_UNSAFE_NO_SANDBOX=true\): the agent does not run as root/);
    expect((await get(httpPort, "node-nosbx.test")).body).toBe("hello from main");
  }, 90_000);
});
