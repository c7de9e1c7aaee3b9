import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_STACK_ID, getStack, STACK_CATEGORIES, STACKS } from "./catalog";
import { readStarterFiles, startersDir } from "./starter-files";

const hasCommand = (name: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

describe("stack catalog", () => {
  it("has the stacks of docs/product.md §5 with their categories and proxy chains", () => {
    const table = Object.fromEntries(STACKS.map((s) => [s.id, { category: s.category, chain: s.proxychain.map((m) => m.image) }]));
    expect(table).toEqual({
      varnish: { category: "performance", chain: ["varnish:7.4"] },
      modsecurity: { category: "security", chain: ["modsecurity:3", "varnish:7.4"] },
      openresty: { category: "other", chain: ["openresty:1.25"] },
      nodejs: { category: "other", chain: ["nodejs:20"] },
      empty: { category: "monitor", chain: [] },
    });
    expect(DEFAULT_STACK_ID).toBe("varnish");
    expect(getStack("empty")?.label).toBe("Empty: monitor my site first");
    expect(getStack("nope")).toBeUndefined();
    const categories = STACK_CATEGORIES.map((c) => c.id) as string[];
    for (const stack of STACKS) {
      expect(categories).toContain(stack.category);
      expect(stack.label.length).toBeGreaterThan(3);
      expect(stack.description).toMatch(/^[A-Z].{20,120}$/);
      for (const proxy of stack.proxychain) expect(proxy.image.startsWith(`${proxy.name}:`)).toBe(true);
    }
  });

  it("lists starter files as in docs/product.md §5, each present and non-trivial", () => {
    expect(getStack("varnish")?.starterFiles).toEqual(["varnish/default.vcl", "varnish/proxy-features.json"]);
    expect(getStack("modsecurity")?.starterFiles).toEqual([
      "modsecurity/modsecurity.conf",
      "varnish/default.vcl",
      "varnish/proxy-features.json",
    ]);
    expect(getStack("openresty")?.starterFiles).toEqual(["openresty/nginx.conf"]);
    expect(getStack("nodejs")?.starterFiles).toEqual(["nodejs/package.json", "nodejs/index.js"]);
    expect(readStarterFiles(getStack("empty")!)).toEqual({});
    for (const stack of STACKS) {
      const files = readStarterFiles(stack);
      expect(Object.keys(files)).toEqual([...stack.starterFiles]);
      for (const [name, content] of Object.entries(files)) {
        expect(content.endsWith("\n"), name).toBe(true);
        if (name.endsWith(".json")) expect(typeof JSON.parse(content), name).toBe("object");
        else expect(content.length, name).toBeGreaterThan(500);
      }
    }
  });

  it("ships real module files pointing at next-hop", () => {
    const files = {
      ...readStarterFiles(getStack("modsecurity")!),
      ...readStarterFiles(getStack("openresty")!),
      ...readStarterFiles(getStack("nodejs")!),
    };
    const vcl = files["varnish/default.vcl"];
    expect(vcl).toMatch(/^vcl 4\.1;$/m);
    expect(vcl).toMatch(/backend default \{\s*\.host = "next-hop";\s*\.port = "80";/);
    expect(vcl).toMatch(/req\.http\.Authorization \|\| req\.http\.Cookie/);
    expect(vcl).toMatch(/utm_/);
    expect(vcl).toMatch(/beresp\.grace/);
    expect(files["modsecurity/modsecurity.conf"]).toMatch(/^SecRuleEngine DetectionOnly$/m);
    expect(files["modsecurity/modsecurity.conf"]).toMatch(/^Include \S+crs-setup\.conf$/m);
    expect(files["modsecurity/modsecurity.conf"]).toMatch(/^Include \S+\/rules\/\*\.conf$/m);
    expect(files["openresty/nginx.conf"]).toMatch(/server next-hop:80;/);
    expect(files["openresty/nginx.conf"]).toMatch(/proxy_pass http:\/\/next_hop;/);
    const pkg = JSON.parse(files["nodejs/package.json"]);
    expect(pkg.main).toBe("index.js");
    expect(pkg.dependencies).toBeUndefined();
    expect(files["nodejs/index.js"]).toMatch(/from "node:http"/);
  });

  describe("nodejs/index.js", () => {
    let proxy: ChildProcess | undefined;
    let upstream: http.Server | undefined;
    afterEach(() => {
      proxy?.kill();
      upstream?.close();
    });

    it("passes requests and bodies through to next-hop and answers 502 when it is down", async () => {
      upstream = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          res.writeHead(201, { "x-upstream": "yes" });
          res.end(`${req.method} ${req.url} ${body} xff=${req.headers["x-forwarded-for"]} conn=${req.headers["x-drop"] ?? "-"}`);
        });
      });
      await new Promise<void>((r) => upstream!.listen(0, "127.0.0.1", r));
      const upstreamPort = (upstream.address() as AddressInfo).port;
      proxy = spawn(process.execPath, [path.join(startersDir(), "nodejs", "index.js")], {
        env: { NODE_ENV: "test", PATH: process.env.PATH, PORT: "0", NEXT_HOP_HOST: "127.0.0.1", NEXT_HOP_PORT: String(upstreamPort) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const port = await new Promise<number>((resolve, reject) => {
        proxy!.stdout!.once("data", (line: Buffer) => resolve(Number(/on :(\d+)/.exec(line.toString())?.[1])));
        proxy!.once("exit", (code) => reject(new Error(`proxy exited ${code}`)));
      });
      // node:http rather than fetch: fetch refuses to send a Connection header.
      const res = await new Promise<{ status?: number; upstream: unknown; body: string }>((resolve, reject) => {
        const req = http.request(
          { host: "127.0.0.1", port, method: "POST", path: "/a?b=1", headers: { Connection: "keep-alive, X-Drop", "X-Drop": "secret" } },
          (r) => {
            let body = "";
            r.on("data", (c) => (body += c));
            r.on("end", () => resolve({ status: r.statusCode, upstream: r.headers["x-upstream"], body }));
          },
        );
        req.on("error", reject);
        req.end("hello");
      });
      expect(res.status).toBe(201);
      expect(res.upstream).toBe("yes");
      // The hop-by-hop header named in Connection (X-Drop) was not forwarded.
      expect(res.body).toMatch(/^POST \/a\?b=1 hello xff=\S*127\.0\.0\.1 conn=-$/);

      await new Promise<void>((r) => upstream!.close(() => r()));
      upstream = undefined;
      const down = await fetch(`http://127.0.0.1:${port}/`);
      expect(down.status).toBe(502);
    });
  });

  // Full syntax checks with the real daemons, where they are installed (Debian: varnish, nginx, modsecurity-crs).
  it.skipIf(!hasCommand("varnishd"))("default.vcl compiles with varnishd -C", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-vcl-"));
    fs.chmodSync(dir, 0o755); // varnishd reads the file as its own unprivileged user
    try {
      // "next-hop" resolves only on the platform; compile against loopback here.
      const vcl = readStarterFiles(getStack("varnish")!)["varnish/default.vcl"].replace('.host = "next-hop"', '.host = "127.0.0.1"');
      fs.writeFileSync(path.join(dir, "default.vcl"), vcl);
      execFileSync("varnishd", ["-C", "-f", path.join(dir, "default.vcl"), "-n", path.join(dir, "n")], { stdio: "pipe" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasCommand("nginx"))("nginx.conf passes nginx -t", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-nginx-"));
    try {
      const server = readStarterFiles(getStack("openresty")!)
        ["openresty/nginx.conf"].replace("next-hop:80", "127.0.0.1:9")
        .replace("listen 80", "listen 127.0.0.1:9");
      fs.writeFileSync(path.join(dir, "server.conf"), server);
      fs.writeFileSync(
        path.join(dir, "nginx.conf"),
        `pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {} http { access_log off; client_body_temp_path ${dir}/t1; proxy_temp_path ${dir}/t2; include ${dir}/server.conf; }\n`,
      );
      execFileSync("nginx", ["-t", "-q", "-p", dir, "-c", path.join(dir, "nginx.conf")], { stdio: "pipe" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
