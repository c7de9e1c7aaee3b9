import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { chainPolicy, checkChain, haveTool, renderChain, renderVarnishRouter, type ChainInput } from "./index";
import { VARNISH_PARAMS, checkVarnish, renderVarnishBoot, wrapTenantVcl } from "./varnish";

// The drivers against the real tools (docs/product.md §8). Each describe skips with its tool's name when the tool
// is missing locally; never under CI=true.

const starters = path.join(process.cwd(), "lib", "stacks", "starters");
const starter = (rel: string) => fs.readFileSync(path.join(starters, rel), "utf8");
const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function input(chain: string[], files: Record<string, string>, extra: Partial<ChainInput> = {}): ChainInput {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-mod-"));
  fs.chmodSync(dir, 0o755); // varnishd (as root) runs its compiler as the varnish user
  roots.push(dir);
  return {
    key: "e17",
    chain,
    files,
    listen: chain.map((_, i) => ({ host: "127.0.0.1", port: 21000 + i })),
    lastHop: { host: "127.0.0.1", port: 21900 },
    hopToken: "tok17",
    allowCodeModules: true,
    dir,
    vclName: "e17_v1",
    ...extra,
  };
}

async function verdict(chain: string[], files: Record<string, string>, extra: Partial<ChainInput> = {}) {
  const i = input(chain, files, extra);
  const rendered = await renderChain(i);
  if (!rendered.ok) return rendered;
  return checkChain(rendered, i);
}

const skip = (tool: string) => !haveTool(tool) && process.env.CI !== "true";

describe("chain policy", () => {
  it("refuses unknown modules, duplicates, wrong order and code modules when not allowed", () => {
    expect(chainPolicy(["varnish"], false)).toBeNull();
    expect(chainPolicy(["modsecurity", "varnish"], false)).toBeNull();
    expect(chainPolicy(["squid"], true)?.message).toMatch(/"squid" is not a module of this platform/);
    expect(chainPolicy(["varnish", "varnish"], true)?.message).toMatch(/appears twice/);
    expect(chainPolicy(["varnish", "modsecurity"], true)?.message).toMatch(/"modsecurity" must come before "varnish"/);
    expect(chainPolicy(["nodejs"], false)?.message).toMatch(/EDGE_ALLOW_CODE_MODULES/);
    expect(chainPolicy(["openresty"], false)?.message).toMatch(/EDGE_ALLOW_CODE_MODULES/);
    expect(chainPolicy(["nodejs"], true)).toBeNull();
  });
});

describe("varnish wrapper (text only)", () => {
  const next = { host: "127.0.0.1", port: 21900 };
  const base = 'vcl 4.1;\nbackend default { .host = "next-hop"; .port = "80"; }\n';
  it("runs the platform's part before every return of vcl_deliver and keeps the tenant's line numbers", () => {
    const wrapped = wrapTenantVcl(`${base}sub vcl_deliver {\n    return (deliver);\n}\n`, "e17", next);
    if (!wrapped.ok) throw new Error(wrapped.message);
    expect(wrapped.vcl.split("\n")[3]).toBe("    { call edge_platform_deliver; return (deliver); }");
    expect(wrapped.vcl.split("\n")[0]).toMatch(
      /^vcl 4\.1; sub vcl_recv \{ set req\.http\.X-Forwarded-For = .*if \(req\.http\.X-Edge-Health\)/,
    );
  });
  it("refuses a custom sub that returns when vcl_deliver calls it, and a Unix socket backend", () => {
    const custom = wrapTenantVcl(`${base}sub mine {\n    return (deliver);\n}\nsub vcl_deliver {\n    call mine;\n}\n`, "e17", next);
    expect(custom).toMatchObject({
      ok: false,
      message: expect.stringMatching(/sub mine is called from vcl_deliver or vcl_backend_response and returns \(line 4/),
    });
    const uds = wrapTenantVcl('vcl 4.1;\nbackend default { .path = "/run/x.sock"; }\n', "e17", next);
    expect(uds).toMatchObject({ ok: false, message: expect.stringMatching(/\.path \(a Unix socket\) is not allowed/) });
  });
  it("refuses backend attributes the next hop cannot take (.proxy_header, .probe, .preamble), as the node would", () => {
    const withAttr = (attr: string) =>
      wrapTenantVcl(`vcl 4.1;\nbackend default { .host = "next-hop"; .port = "80"; ${attr} }\n`, "e17", next);
    expect(withAttr(".proxy_header = 1;")).toMatchObject({
      ok: false,
      tool: "policy",
      message: expect.stringMatching(
        /^varnish\/default.vcl: backend attribute .proxy_header is not allowed: the next hop speaks plain HTTP\/1.1, not the PROXY protocol; allowed: .host, .port, .*\(line 2, column 53\)$/,
      ),
    });
    expect(withAttr('.probe = { .url = "/"; .interval = 1s; }')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/\.probe is not allowed: .*health request/),
    });
    expect(withAttr('.preamble = ":";')).toMatchObject({ ok: false, message: expect.stringMatching(/\.preamble is not allowed/) });
    expect(
      withAttr(
        '.host_header = "www.example.com"; .connect_timeout = 5s; .first_byte_timeout = 60s; .between_bytes_timeout = 10s; .max_connections = 100;',
      ),
    ).toMatchObject({ ok: true });
    expect(wrapTenantVcl(starter("varnish/default.vcl"), "e17", next)).toMatchObject({ ok: true });
  });
});

describe.skipIf(skip("varnishd"))("varnish (needs varnishd)", () => {
  const vcl = starter("varnish/default.vcl");
  const refused = async (text: string) => {
    const v = await verdict(["varnish"], { "varnish/default.vcl": text });
    expect(v.ok).toBe(false);
    return v.ok ? "" : v.message;
  };

  it("compiles the starter, with the next hop as its backend", async () => {
    const i = input(["varnish"], { "varnish/default.vcl": vcl });
    const rendered = await renderChain(i);
    expect(rendered.ok).toBe(true);
    if (!rendered.ok) return;
    expect(await checkChain(rendered, i)).toEqual({ ok: true, skipped: [] });
    const out = fs.readFileSync(rendered.varnish!.vclPath, "utf8");
    expect(out).toContain('.host = "127.0.0.1"');
    expect(out).toContain('.port = "21900"');
    expect(out).toContain('hash_data("edge-env:e17")');
  });

  it("refuses each forbidden feature with a clear message", async () => {
    const add = (code: string) => vcl.replace("sub vcl_recv {", `sub vcl_recv {\n    ${code}`);
    expect(await refused(add('set req.http.x = std.fileread("/etc/passwd");'))).toMatch(
      /varnish\/default.vcl: std.fileread\(\) is not allowed.*line 29, column 22/,
    );
    expect(await refused(add('set req.http.x = std.getenv("HOME");'))).toMatch(/std.getenv\(\) is not allowed/);
    expect(await refused(add('ban("req.url ~ /");'))).toMatch(/ban\(\) is not allowed/);
    expect(await refused(add("C{ abort(); }C"))).toMatch(/inline C is not allowed/);
    expect(await refused(add("return (vcl(edge_e18));"))).toMatch(/return \(vcl\(…\)\) is not allowed/);
    expect(await refused(vcl.replace("import std;", "import std;\nimport directors;"))).toMatch(/only "import std;" is allowed/);
    expect(await refused(vcl.replace("sub vcl_recv {", 'backend other { .host = "127.0.0.1"; .port = "22"; }\nsub vcl_recv {'))).toMatch(
      /a second backend/,
    );
    expect(await refused(vcl.replace('.host = "next-hop"', '.host = "192.0.2.1"'))).toMatch(/must have .host = "next-hop"/);
    expect(await refused(vcl.replace('.port = "80";', '.port = "22";'))).toMatch(/\.port must be "80"/);
  });

  it("judges on what varnishd compiles: the generated C is the final word", async () => {
    // Straight to varnishd, past the platform's own reading of the text: the compiled C names the function.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-raw-"));
    roots.push(dir);
    const raw = path.join(dir, "raw.vcl");
    const next = { host: "127.0.0.1", port: 21900 };
    const body = vcl.replace('.host = "next-hop"', '.host = "127.0.0.1"').replace('.port = "80"', '.port = "21900"');
    fs.writeFileSync(raw, body.replace("sub vcl_recv {", 'sub vcl_recv {\n    set req.http.x = std.fileread("/etc/hostname");'));
    expect(await checkVarnish(raw, next)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/as compiled by varnishd, it calls std.fileread\(\)/),
    });
    fs.writeFileSync(raw, body.replace('.port = "21900"', '.port = "22"'));
    expect(await checkVarnish(raw, next)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/backend address other than the next hop/),
    });
    fs.writeFileSync(raw, body.replace(".connect_timeout = 5s;", ".proxy_header = 1;"));
    expect(await checkVarnish(raw, next)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/it sends the PROXY protocol to the next hop/),
    });
    fs.writeFileSync(raw, body.replace(".connect_timeout = 5s;", '.probe = { .url = "/"; }'));
    expect(await checkVarnish(raw, next)).toMatchObject({ ok: false, message: expect.stringMatching(/it probes the next hop/) });
    fs.writeFileSync(raw, body);
    expect(await checkVarnish(raw, next)).toEqual({ ok: true });
  });

  it("gives varnishd's message with line and column for a syntax error", async () => {
    const message = await refused(vcl.replace('if (req.method != "GET" && req.method != "HEAD") {', 'if (req.method != "GET" {'));
    expect(message).toMatch(/^varnish\/default.vcl: varnishd refused it: Expected '\)' got '\{' \(line \d+, column \d+\)$/);
  });

  it("the router refuses nothing it should route and compiles", async () => {
    const router = renderVarnishRouter([{ key: "e17", hopToken: "tok17" }]);
    expect(router).toContain('if (req.http.X-Edge-Hop == "tok17")');
    expect(router).toContain("return (vcl(edge_e17));");
    expect(() => renderVarnishRouter([{ key: "e17", hopToken: 'x"; }' }])).toThrow();
  });
});

/** A tiny origin recording the headers it received; answers `body` with the given Cache-Control. */
async function origin(port: number) {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { "cache-control": "max-age=60", "content-type": "text/plain" });
    res.end(`hello ${req.url}`);
  });
  server.on("upgrade", (req, socket) => {
    seen.push(req.headers);
    socket.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function get(port: number, pathname: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: pathname, headers, agent: false }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on("error", reject);
  });
}

async function waitPort(port: number) {
  for (let t = 0; t < 100; t++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

function upgrade(port: number) {
  return new Promise<number>((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
      path: "/ws",
      headers: { Connection: "Upgrade", Upgrade: "websocket", "X-Edge-Hop": "tok17" },
      agent: false,
    });
    req.on("upgrade", (res, socket) => (socket.destroy(), resolve(res.statusCode ?? 0)));
    req.on("response", (res) => resolve(res.statusCode ?? 0));
    req.on("error", reject);
    req.end();
  });
}

/** varnishd serving `vclPath` on `port` until `fn` is done. */
async function withVarnishd(vclPath: string, port: number, fn: () => Promise<void>) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "edge-vd-"));
  fs.chmodSync(work, 0o755);
  roots.push(work);
  const child = spawn(
    "varnishd",
    ["-F", "-n", work, "-a", `127.0.0.1:${port}`, "-f", vclPath, ...VARNISH_PARAMS, "-s", "malloc,16m", "-T", "127.0.0.1:0"],
    { stdio: "ignore" },
  );
  try {
    await waitPort(port);
    await fn();
  } finally {
    const closed = new Promise((r) => child.once("close", r));
    child.kill("SIGTERM");
    await closed;
  }
}

describe.skipIf(skip("varnishd"))("varnish serving (needs varnishd)", () => {
  it("answers 503 chain-unavailable, never 404, from the boot VCL and for a hop token the router does not know", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-boot-"));
    fs.chmodSync(dir, 0o755);
    roots.push(dir);
    const boot = path.join(dir, "boot.vcl");
    const router = path.join(dir, "router.vcl");
    fs.writeFileSync(boot, renderVarnishBoot(), { mode: 0o644 });
    fs.writeFileSync(router, renderVarnishRouter([]), { mode: 0o644 });
    for (const vclPath of [boot, router]) {
      await withVarnishd(vclPath, 21960, async () => {
        for (const headers of [{ "X-Edge-Hop": "tok17" }, {}] as Record<string, string>[]) {
          const r = await get(21960, "/x", headers);
          expect(r.status, path.basename(vclPath)).toBe(503);
          expect(r.headers["x-edge-status"]).toBe("chain-unavailable");
          expect(r.headers["cache-control"]).toBe("no-store");
        }
      });
    }
  }, 30_000);

  it("sets the platform X-Cache over the tenant's, passes the health request and WebSocket upgrades", async () => {
    const up = await origin(21950);
    const tenant = starter("varnish/default.vcl").replace(
      /sub vcl_deliver \{[\s\S]*$/,
      'sub vcl_deliver { set resp.http.X-Cache = "TENANT"; return (deliver); }\n',
    );
    const i = input(
      ["varnish"],
      { "varnish/default.vcl": tenant },
      { lastHop: { host: "127.0.0.1", port: 21950 }, listen: [{ host: "127.0.0.1", port: 21951 }] },
    );
    const rendered = await renderChain(i);
    expect(rendered.ok).toBe(true);
    if (!rendered.ok) return;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "edge-vd-"));
    fs.chmodSync(work, 0o755);
    roots.push(work);
    const child = spawn(
      "varnishd",
      [
        "-F",
        "-n",
        work,
        "-a",
        "127.0.0.1:21951",
        "-f",
        rendered.varnish!.vclPath,
        "-p",
        "vcc_allow_inline_c=off",
        "-p",
        "vcc_unsafe_path=off",
        "-s",
        "malloc,16m",
        "-T",
        "127.0.0.1:0",
      ],
      { stdio: "ignore" },
    );
    try {
      await waitPort(21951);
      const first = await get(21951, "/a", { "X-Edge-Hop": "tok17", "X-Request-Id": "r1" });
      const second = await get(21951, "/a", { "X-Edge-Hop": "tok17" });
      expect(first.headers["x-cache"]).toBe("MISS");
      expect(second.headers["x-cache"]).toBe("HIT");
      expect(second.headers["x-edge-url"]).toBeUndefined();
      expect(second.headers["x-edge-env"]).toBeUndefined();
      expect(up.seen[0]["x-edge-hop"]).toBe("tok17");
      expect(up.seen[0]["x-request-id"]).toBe("r1");
      const health = await get(21951, "/a", { "X-Edge-Hop": "tok17", "X-Edge-Health": "n1" });
      expect(health.headers["x-cache"]).toBe("PASS");
      expect(up.seen.at(-1)?.["x-edge-health"]).toBe("n1");
      expect(await upgrade(21951)).toBe(101);
      expect(up.seen.at(-1)?.upgrade).toBe("websocket");
    } finally {
      child.kill("SIGTERM");
      await up.close();
    }
  }, 30_000);
});

describe.skipIf(skip("nginx"))("modsecurity (needs nginx)", () => {
  it("renders the old starter (modsecurity.d paths, SecAuditLog /dev/stdout) and nginx -t accepts it", async () => {
    const old = fs.readFileSync(path.join(import.meta.dirname, "testdata", "old-modsecurity.conf"), "utf8");
    const i = input(["modsecurity", "varnish"], {
      "modsecurity/modsecurity.conf": old,
      "varnish/default.vcl": starter("varnish/default.vcl"),
    });
    const rendered = await renderChain(i);
    expect(rendered.ok).toBe(true);
    if (!rendered.ok) return;
    const rules = fs.readFileSync(path.join(i.dir, "modsecurity", "modsecurity.conf"), "utf8");
    expect(rules).toContain("Include /etc/modsecurity/crs/crs-setup.conf");
    expect(rules).toContain("Include /usr/share/modsecurity-crs/rules/*.conf");
    expect(rules).not.toMatch(/^SecAuditLog \/dev\/stdout/m);
    expect(rendered.processes[0]).toMatchObject({ module: "modsecurity", user: "proxy", listen: i.listen[0] });
    expect(await checkChain(rendered, i)).toMatchObject({ ok: true });
    expect(await verdict(["modsecurity"], { "modsecurity/modsecurity.conf": starter("modsecurity/modsecurity.conf") })).toMatchObject({
      ok: true,
    });
  });

  it("refuses Include /etc/passwd, SecRuleScript and exec:", async () => {
    const base = "SecRuleEngine On\n";
    const msg = async (extra: string) => {
      const v = await verdict(["modsecurity"], { "modsecurity/modsecurity.conf": base + extra });
      return v.ok ? "" : v.message;
    };
    expect(await msg("Include /etc/passwd\n")).toMatch(
      /modsecurity\/modsecurity.conf: Include is allowed only for Debian's OWASP CRS.*\(line 2\)/,
    );
    expect(await msg("SecRuleScript /tmp/x.lua\n")).toMatch(/SecRuleScript is not allowed.*line 2/);
    expect(await msg('SecRule ARGS "@rx x" "id:1,phase:1,pass,exec:/tmp/x.lua"\n')).toMatch(/"exec:" action is not allowed/);
    expect(await msg("SecRemoteRules key https://x/\n")).toMatch(/SecRemoteRules is not allowed/);
    expect(await msg("SecAuditLog /var/log/x\n")).toMatch(/SecAuditLog is not allowed/);
    // Operators that open a named file would tell an editor which files exist on the console host or the node.
    expect(await msg('SecRule REQUEST_BODY "@validateDTD /etc/shadow" "id:9002,phase:2,deny,status:403"\n')).toMatch(
      /@validateDTD operator reads files.*line 2/,
    );
    expect(await msg('SecRule REQUEST_BODY "@validateSchema /root/.profile" "id:9003,phase:2,deny"\n')).toMatch(
      /@validateSchema operator reads files/,
    );
  });

  it("passes a request and a WebSocket upgrade with its headers intact", async () => {
    const up = await origin(21960);
    const i = input(
      ["modsecurity"],
      { "modsecurity/modsecurity.conf": starter("modsecurity/modsecurity.conf") },
      { listen: [{ host: "127.0.0.1", port: 21961 }], lastHop: { host: "127.0.0.1", port: 21960 } },
    );
    const rendered = await renderChain(i);
    if (!rendered.ok) throw new Error(rendered.message);
    const p = rendered.processes[0];
    const child = spawn(p.command, p.args, { cwd: p.cwd, stdio: "ignore" });
    try {
      await waitPort(21961);
      const res = await get(21961, "/x", { "X-Edge-Hop": "tok17", "X-Request-Id": "r2", Host: "www.example.com" });
      expect(res.body).toBe("hello /x");
      expect(up.seen[0]).toMatchObject({ "x-edge-hop": "tok17", "x-request-id": "r2", host: "www.example.com" });
      expect(await upgrade(21961)).toBe(101);
    } finally {
      child.kill("SIGTERM");
      await up.close();
    }
  }, 30_000);
});

describe.skipIf(skip("nginx"))("openresty (needs nginx)", () => {
  const conf = starter("openresty/nginx.conf");
  const msg = async (text: string) => {
    const v = await verdict(["openresty"], { "openresty/nginx.conf": text });
    return v.ok ? "" : v.message;
  };
  it("passes the starter", async () => {
    expect(await verdict(["openresty"], { "openresty/nginx.conf": conf })).toMatchObject({ ok: true });
  });
  it("refuses listen 8080, proxy_pass elsewhere, *_by_lua_file and include", async () => {
    expect(await msg(conf.replace("listen 80 default_server;", "listen 8080;"))).toMatch(/only "listen 80" is allowed/);
    expect(await msg(conf.replace("proxy_pass http://next_hop;", "proxy_pass http://127.0.0.1:22;"))).toMatch(
      /proxy_pass must go to http:\/\/next-hop:80/,
    );
    expect(await msg(conf.replace("location / {", "location / {\n        content_by_lua_file /tmp/x.lua;"))).toMatch(
      /content_by_lua_file" is not allowed/,
    );
    expect(await msg(conf.replace("location / {", "location / {\n        include /etc/nginx/mime.types;"))).toMatch(
      /"include" is not allowed/,
    );
  });
  it("runs Lua without os and io", async () => {
    const up = await origin(21970);
    const text = conf.replace(
      "location / {",
      'location = /lua { content_by_lua_block { local ok = pcall(require, "io"); local ok2 = pcall(require, "ffi"); ngx.say(type(os), " ", type(io), " ", tostring(ok), " ", tostring(ok2)) -- a brace in a comment: }\n } }\n    location / {',
    );
    const i = input(
      ["openresty"],
      { "openresty/nginx.conf": text },
      { listen: [{ host: "127.0.0.1", port: 21971 }], lastHop: { host: "127.0.0.1", port: 21970 } },
    );
    const rendered = await renderChain(i);
    if (!rendered.ok) throw new Error(rendered.message);
    expect(await checkChain(rendered, i)).toMatchObject({ ok: true });
    const p = rendered.processes[0];
    const child = spawn(p.command, p.args, { cwd: p.cwd, stdio: "ignore" });
    try {
      await waitPort(21971);
      expect((await get(21971, "/lua")).body.trim()).toBe("nil nil false false");
      expect((await get(21971, "/y", { "X-Edge-Hop": "tok17" })).body).toBe("hello /y");
      expect(await upgrade(21971)).toBe(101);
      expect(up.seen.at(-1)).toMatchObject({ upgrade: "websocket", "x-edge-hop": "tok17" });
    } finally {
      child.kill("SIGTERM");
      await up.close();
    }
  }, 30_000);
});

describe.skipIf(skip("node"))("nodejs (needs node)", () => {
  const files = { "nodejs/package.json": starter("nodejs/package.json"), "nodejs/index.js": starter("nodejs/index.js") };
  it("passes the starter and describes the process", async () => {
    const i = input(["nodejs"], files);
    const rendered = await renderChain(i);
    if (!rendered.ok) throw new Error(rendered.message);
    expect(await checkChain(rendered, i)).toMatchObject({ ok: true });
    expect(rendered.processes[0]).toMatchObject({
      user: "tenant",
      env: { HOST: "127.0.0.1", PORT: "21000", NEXT_HOP_HOST: "127.0.0.1", NEXT_HOP_PORT: "21900" },
    });
    expect(Object.keys(rendered.processes[0].env).sort()).toEqual(["HOST", "NEXT_HOP_HOST", "NEXT_HOP_PORT", "PORT"]);
    expect(rendered.processes[0].args).toContain("--experimental-permission");
  });
  it("runs the starter under the permission model with only its four variables, passing requests and upgrades", async () => {
    const up = await origin(21980);
    const i = input(["nodejs"], files, { listen: [{ host: "127.0.0.1", port: 21981 }], lastHop: { host: "127.0.0.1", port: 21980 } });
    const rendered = await renderChain(i);
    if (!rendered.ok) throw new Error(rendered.message);
    const p = rendered.processes[0];
    const child = spawn(p.command, p.args, { cwd: p.cwd, env: p.env as NodeJS.ProcessEnv, stdio: "ignore" });
    try {
      await waitPort(21981);
      const res = await get(21981, "/n", { "X-Edge-Hop": "tok17", "X-Request-Id": "r3" });
      expect(res.body).toBe("hello /n");
      expect(up.seen[0]).toMatchObject({ "x-edge-hop": "tok17", "x-request-id": "r3" });
      expect(await upgrade(21981)).toBe(101);
    } finally {
      child.kill("SIGTERM");
      await up.close();
    }
  }, 30_000);

  it("refuses dependencies and names a syntax error", async () => {
    const deps = await verdict(["nodejs"], { ...files, "nodejs/package.json": '{"main":"index.js","dependencies":{"left-pad":"1"}}' });
    expect(deps.ok ? "" : deps.message).toMatch(/"dependencies" is not allowed/);
    const broken = await verdict(["nodejs"], { ...files, "nodejs/index.js": "const a = ;\n" });
    expect(broken.ok ? "" : broken.message).toMatch(/^nodejs\/index.js: node refused it: SyntaxError: .*\(line 1, column \d+\)$/);
  });
});
