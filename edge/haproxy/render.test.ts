import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTool } from "../modules/tools";
import { renderHaproxy } from "./render";

// docs/edge.md "One request", error pages: custom_errors/502.html is the page of every 502, origin-refused included.
// HAProxy holds an error page in one buffer (tune.bufsize, 16 kB); a larger custom page gives way to the platform's,
// so one environment's page never makes haproxy -c refuse the node's whole configuration.

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, host: string): Promise<{ status: number; edgeStatus: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/", headers: { host }, agent: false }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, edgeStatus: String(res.headers["x-edge-status"] ?? ""), body }));
      })
      .on("error", reject);
  });
}

describe.skipIf(!haveTool("haproxy") && process.env.CI !== "true")(
  "custom error pages larger than HAProxy's buffer (needs haproxy, openssl)",
  () => {
    let dir: string;
    let httpPort: number;
    let haproxy: ReturnType<typeof spawn> | undefined;
    let log = "";
    const big = `<!doctype html><p>${"x".repeat(20_000)}</p>`;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-edge-render-"));
      httpPort = await freePort();
      const lastHop = { host: "127.0.0.1", port: await freePort() };
      const rendered = renderHaproxy(
        { dir, bindAddress: "127.0.0.1", httpPort, httpsPort: await freePort(), user: null, caFile: "/etc/ssl/certs/ca-certificates.crt" },
        [
          {
            key: "e1",
            hostnames: ["big.test"],
            hopToken: "hop-1",
            secret: "secret-1",
            entry: lastHop,
            lastHop,
            ipBlacklist: [],
            origins: [
              {
                name: null,
                origin: { address: "0.0.0.0", port: 20001, protocol: "http" },
                resolution: { ok: false, reason: "0.0.0.0:20001 is one of this node's internal ports" },
              },
            ],
            errorPages: { "502": big, "503": big },
          },
        ],
      );
      fs.mkdirSync(path.join(dir, "files"), { recursive: true });
      for (const [rel, content] of Object.entries(rendered.files)) fs.writeFileSync(path.join(dir, rel), content);
      fs.writeFileSync(path.join(dir, "hosts.map"), rendered.hostsMap);
      fs.writeFileSync(path.join(dir, "node.map"), "drain 0\n");
      fs.writeFileSync(path.join(dir, "haproxy.cfg"), rendered.config);
      // The HTTPS bind needs a crt-list with a default certificate (the agent writes a self-signed one).
      const made = spawnSync(
        "openssl",
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "d.key", "-out", "d.crt", "-days", "1", "-subj", "/CN=edge-default"],
        { cwd: dir, encoding: "utf8" },
      );
      if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
      fs.writeFileSync(
        path.join(dir, "default.pem"),
        fs.readFileSync(path.join(dir, "d.crt"), "utf8") + fs.readFileSync(path.join(dir, "d.key"), "utf8"),
      );
      fs.writeFileSync(path.join(dir, "crt-list.txt"), `${path.join(dir, "default.pem")}\n`);
    });
    afterAll(() => {
      haproxy?.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("passes haproxy -c and answers an origin-refused 502 with the platform's page", async () => {
      const check = spawnSync("haproxy", ["-c", "-f", path.join(dir, "haproxy.cfg")], { encoding: "utf8" });
      expect(check.status, check.stdout + check.stderr).toBe(0);

      haproxy = spawn("haproxy", ["-db", "-f", path.join(dir, "haproxy.cfg")], { stdio: ["ignore", "pipe", "pipe"] });
      haproxy.stdout!.on("data", (d: Buffer) => (log += d.toString()));
      haproxy.stderr!.on("data", (d: Buffer) => (log += d.toString()));
      let answer: Awaited<ReturnType<typeof get>> | undefined;
      for (let i = 0; i < 100 && !answer; i++) {
        answer = await get(httpPort, "big.test").catch(() => undefined);
        if (!answer) await new Promise((r) => setTimeout(r, 50));
      }
      expect(answer, log).toBeDefined();
      expect(answer!.status).toBe(502);
      expect(answer!.edgeStatus).toBe("origin-refused");
      expect(answer!.body).toContain("502 Bad gateway");
      expect(answer!.body).not.toContain("xxxx");
    });
  },
);
