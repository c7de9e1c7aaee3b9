import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTool } from "../modules/tools";
import { parseShowProc, readWorkerCounters } from "./counters";
import { haproxyCommand } from "./runtime";

// HAProxy's per-environment counters read through a real master CLI (docs/traffic.md "Counters"): a chain backend
// counts the responses HAProxy gives itself there (return, redirect, deny) as well as the origin's, by status class,
// and a reload starts a new worker from zero.

const skip = !haveTool("haproxy") && process.env.CI !== "true";

/** A free TCP port on 127.0.0.1 (closed again before HAProxy binds it). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(skip)(`HAProxy counters${skip ? " (skipped: haproxy missing)" : ""}`, () => {
  let dir = "";
  let origin: http.Server;
  let haproxy: ChildProcess;
  let port = 0;
  const master = () => path.join(dir, "master.sock");

  const get = (p: string) =>
    new Promise<number>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path: p, headers: { host: "a.test" }, agent: false }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        })
        .on("error", reject);
    });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-counters-"));
    origin = http.createServer((req, res) => res.writeHead(req.url === "/boom" ? 500 : 200).end("origin\n"));
    await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
    port = await freePort();
    const cfg = [
      "global",
      `  stats socket ${dir}/admin.sock mode 600 level admin`,
      "defaults",
      "  mode http",
      "  timeout connect 5s",
      "  timeout client 10s",
      "  timeout server 10s",
      "frontend public",
      `  bind 127.0.0.1:${port}`,
      "  use_backend chain_e5",
      "backend chain_e5",
      "  http-request return status 200 content-type text/plain string challenge if { path_beg /.well-known/acme-challenge/ }",
      "  http-request redirect location https://a.test/ code 308 if { path /redirect }",
      "  http-request deny deny_status 403 if { path /denied }",
      `  server entry 127.0.0.1:${(origin.address() as AddressInfo).port}`,
      "backend chain_e6",
      `  server entry 127.0.0.1:${(origin.address() as AddressInfo).port}`,
      "backend origin_e5_main",
      `  server entry 127.0.0.1:${(origin.address() as AddressInfo).port}`,
      "",
    ].join("\n");
    fs.writeFileSync(path.join(dir, "haproxy.cfg"), cfg);
    haproxy = spawn("haproxy", ["-W", "-S", `${master()},mode,600`, "-f", path.join(dir, "haproxy.cfg")], { stdio: "ignore" });
    for (let i = 0; i < 100 && !fs.existsSync(path.join(dir, "admin.sock")); i++) await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 100; i++) {
      if ((await get("/").catch(() => 0)) === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  afterAll(async () => {
    haproxy?.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 200));
    origin?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("counts every response of an environment's chain backend by status class, its own answers included", async () => {
    const start = (await readWorkerCounters(master()))[0].chains.get(5)!.responses;
    const statuses = [];
    for (const p of ["/", "/a", "/boom", "/.well-known/acme-challenge/t1", "/redirect", "/denied"]) statuses.push(await get(p));
    expect(statuses).toEqual([200, 200, 500, 200, 308, 403]);
    const workers = await readWorkerCounters(master());
    expect(workers).toHaveLength(1);
    expect(workers[0].current).toBe(true);
    expect(workers[0].publicSessions).toBe(0);
    expect(Math.abs(workers[0].startedAt - Date.now())).toBeLessThan(60_000);
    const e5 = workers[0].chains.get(5)!;
    expect(e5.responses - start).toBe(6);
    expect(e5).toMatchObject({ status3xx: 1, status4xx: 1, status5xx: 1 });
    expect(e5.status2xx).toBe(e5.responses - 3);
    expect(e5.bytesIn).toBeGreaterThan(6 * 40);
    expect(e5.bytesOut).toBeGreaterThan(6 * 40);
    expect(workers[0].chains.get(6)).toMatchObject({ responses: 0, bytesIn: 0 });
    // Only chain backends: an origin backend is not an environment's count.
    expect([...workers[0].chains.keys()].sort()).toEqual([5, 6]);
  });

  it("after a reload the new worker counts from zero", async () => {
    const before = (await readWorkerCounters(master()))[0];
    await haproxyCommand(master(), "reload");
    let after = before;
    // The master executes itself again on a reload: its socket refuses connections for a moment.
    for (let i = 0; i < 100 && after.pid === before.pid; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = (await readWorkerCounters(master()).catch(() => [])).find((w) => w.current) ?? before;
    }
    expect(after.pid).not.toBe(before.pid);
    expect(after.chains.get(5)!.responses).toBe(0);
    expect(await get("/")).toBe(200);
    const now = (await readWorkerCounters(master())).find((w) => w.current)!;
    expect(now.chains.get(5)!.responses).toBe(1);
  });

  it("reads old workers from show proc", () => {
    const text = [
      "#<PID>          <type>          <reloads>       <uptime>        <version>      ",
      "17253           master          3 [failed: 0]   0d00h01m08s     2.6.12-1+deb12u4",
      "# workers",
      "20363           worker          0               0d00h00m01s     2.6.12-1+deb12u4",
      "# old workers",
      "19546           worker          1               1d02h03m04s     2.6.12-1+deb12u4",
      "# programs",
      "",
    ].join("\n");
    expect(parseShowProc(text)).toEqual([
      { pid: 20363, uptimeSeconds: 1, current: true },
      { pid: 19546, uptimeSeconds: 86_400 + 2 * 3600 + 3 * 60 + 4, current: false },
    ]);
  });
});
