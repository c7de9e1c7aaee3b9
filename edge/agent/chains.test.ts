import { execFile, execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTool } from "../modules";
import {
  MODSEC_CONF,
  STARTER_VCL,
  edgeAgent,
  fakeConsole,
  get,
  listen,
  origin,
  randomPorts,
  testEnvironment,
  until as untilWith,
  type EdgeAgent,
  type Got,
} from "./test-harness";

// The edge's chains proven on a running node (docs/product.md §8, docs/edge.md "One request"): HTTPS origins with
// certificate verification against a test CA made here with openssl, HTTP/2 at the front, WebSocket pass-through,
// the environment's own 502/503 pages, Host with a port, and a varnishd restart under load. Real haproxy, varnishd
// and origins on loopback; the agent is a child process bound to 127.0.0.3.

const missing = ["haproxy", "varnishd", "varnishadm", "openssl", "curl"].filter((t) => !haveTool(t));
const skip = missing.length > 0 && process.env.CI !== "true";
const NODE = "127.0.0.3";
const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"; // RFC 6455 §1.3

function openssl(cwd: string, args: string[]) {
  execFileSync("openssl", args, { cwd, stdio: "pipe" });
}

/** A CA (EC P-256) and a server certificate for `name` signed by it, in `dir`: <ca>.crt, <ca>-<name>.crt/.key. */
function makeCa(dir: string, ca: string, names: string[]) {
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${ca}.key`,
    "-out",
    `${ca}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${ca}`,
  ]);
  const out: Record<string, { key: string; cert: string }> = {};
  for (const name of names) {
    const base = `${ca}-${name}`;
    fs.writeFileSync(path.join(dir, `${base}.ext`), `subjectAltName=DNS:${name}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
    openssl(dir, [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${base}.key`,
      "-out",
      `${base}.csr`,
      "-subj",
      `/CN=${name}`,
    ]);
    openssl(dir, [
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${base}.crt`,
      "-days",
      "2",
      "-extfile",
      `${base}.ext`,
    ]);
    out[name] = {
      key: fs.readFileSync(path.join(dir, `${base}.key`), "utf8"),
      cert: fs.readFileSync(path.join(dir, `${base}.crt`), "utf8"),
    };
  }
  return out;
}

/** An HTTPS origin recording the SNI name (false when none was sent) and Host of each request. */
function tlsOrigin(name: string, pair: { key: string; cert: string }) {
  const hits: { servername: string | false; host: string | undefined }[] = [];
  const server = https.createServer(pair, (req, res) => {
    hits.push({ servername: (req.socket as TLSSocket).servername ?? false, host: req.headers.host });
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`hello from ${name}`);
  });
  return { hits, server };
}

/** One WebSocket frame (RFC 6455 §5.2), payload < 126 bytes; masked as a client must send it. */
function frame(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > 125) throw new Error("test frames are short");
  const mask = masked ? randomBytes(4) : null;
  const head = Buffer.from([0x81, (masked ? 0x80 : 0) | payload.length]);
  if (!mask) return Buffer.concat([head, payload]);
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]);
}

/** Decodes one complete text frame from the start of `buf`, or null when more bytes are needed. */
function unframe(buf: Buffer): string | null {
  if (buf.length < 2) return null;
  const len = buf[1] & 0x7f;
  const masked = (buf[1] & 0x80) !== 0;
  const start = 2 + (masked ? 4 : 0);
  if (len > 125 || buf.length < start + len) return null;
  const data = buf.subarray(start, start + len);
  return masked ? Buffer.from(data.map((b, i) => b ^ buf[2 + (i % 4)])).toString() : data.toString();
}

/** An origin that completes a WebSocket handshake (node:http 'upgrade') and echoes each text frame back with "echo: ". */
function wsOrigin() {
  const upgrades: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("hello from ws"));
  server.on("upgrade", (req, socket: net.Socket) => {
    upgrades.push(req.headers);
    const accept = createHash("sha1")
      .update(String(req.headers["sec-websocket-key"]) + WS_GUID)
      .digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    let buf = Buffer.alloc(0);
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const text = unframe(buf);
      if (text !== null) {
        buf = Buffer.alloc(0);
        socket.write(frame(`echo: ${text}`, false));
      }
    });
    socket.on("error", () => {});
  });
  return { upgrades, server };
}

/** A WebSocket client over a raw socket to the node: handshake with `Host: host`, one frame out, the echo back. */
function wsRoundTrip(port: number, host: string, text: string): Promise<{ status: string; accept: string | null; echo: string }> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString("base64");
    const expected = createHash("sha1")
      .update(key + WS_GUID)
      .digest("base64");
    const socket = net.connect(port, NODE);
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no WebSocket echo from ${host}`))), 10_000);
    let buf = Buffer.alloc(0);
    let head: { status: string; accept: string | null } | null = null;
    socket.on("connect", () =>
      socket.write(
        `GET /socket HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!head) {
        const end = buf.indexOf("\r\n\r\n");
        if (end === -1) return;
        const lines = buf.subarray(0, end).toString().split("\r\n");
        const accept =
          lines
            .find((l) => /^sec-websocket-accept:/i.test(l))
            ?.split(":")[1]
            .trim() ?? null;
        head = { status: lines[0], accept: accept === expected ? accept : accept && `MISMATCH ${accept}` };
        buf = buf.subarray(end + 4);
        if (!/^HTTP\/1\.1 101/.test(lines[0])) {
          clearTimeout(timer);
          socket.destroy();
          return resolve({ ...head, echo: "" });
        }
        socket.write(frame(text, true));
      }
      const echo = unframe(buf);
      if (echo !== null) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ ...head, echo });
      }
    });
    socket.on("error", (e) => (clearTimeout(timer), reject(e)));
  });
}

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("curl", ["-sS", "--max-time", "10", ...args], (error, stdout, stderr) =>
      error ? reject(new Error(stderr || error.message)) : resolve(stdout),
    ),
  );
}

describe.skipIf(skip)(`edge chains on a running node${skip ? ` (skipped: ${missing.join(", ")} missing)` : ""}`, () => {
  const main = origin("main");
  const alt = origin("alt");
  const ws = wsOrigin();
  const con = fakeConsole();
  let node: EdgeAgent;
  const until = <T>(what: string, fn: () => Promise<T | null | false | undefined> | T | null | false | undefined, ms = 20_000) =>
    untilWith(what, fn, ms, () => node?.log() ?? "");
  let stateDir = "";
  let certDir = "";
  const { httpPort, portBase } = randomPorts("chains");
  const httpsPort = httpPort + 1;
  let trusted: ReturnType<typeof tlsOrigin>;
  let rogue: ReturnType<typeof tlsOrigin>;
  const ports = { main: 0, alt: 0, ws: 0, trusted: 0, rogue: 0, dead: 0 };
  const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const CUSTOM_502 = "<html><body>custom 502 page of down.test</body></html>";
  const CUSTOM_503 = "<html><body>custom 503 page of cached.test</body></html>";
  const WAF_503 = "<html><body>custom 503 page of ws-waf.test</body></html>";

  const envs = () => {
    const https = (port: number, extra: object) => ({ origin: { address: "127.0.0.1", port, protocol: "https", ...extra } });
    const varnish = { chain: ["varnish"], files: { "varnish/default.vcl": STARTER_VCL } };
    return [
      testEnvironment(1, "a.test", ports.main),
      testEnvironment(2, "cached.test", ports.main, {
        ...varnish,
        files: { ...varnish.files, "custom_errors/503.html": CUSTOM_503 },
      }),
      testEnvironment(3, "other.test", ports.alt, varnish),
      testEnvironment(4, "tls.test", 0, https(ports.trusted, { tls_name: "origin.test" })),
      testEnvironment(5, "tls-rogue.test", 0, https(ports.rogue, { tls_name: "origin.test" })),
      testEnvironment(6, "tls-wrong-name.test", 0, https(ports.trusted, { tls_name: "other-name.test" })),
      testEnvironment(7, "tls-no-sni.test", 0, https(ports.trusted, { tls_name: "origin.test", enable_sni: false })),
      testEnvironment(8, "down.test", ports.dead, {
        files: { "custom_errors/502.html": CUSTOM_502, "custom_errors/503.html": "<p>503 of down.test</p>" },
      }),
      testEnvironment(9, "ws.test", ports.ws),
      testEnvironment(10, "ws-varnish.test", ports.ws, varnish),
      testEnvironment(11, "ws-waf.test", ports.ws, {
        chain: ["modsecurity", "varnish"],
        files: { "modsecurity/modsecurity.conf": MODSEC_CONF, "varnish/default.vcl": STARTER_VCL, "custom_errors/503.html": WAF_503 },
      }),
      testEnvironment(12, "tls-unverified.test", 0, https(ports.rogue, { tls_name: "origin.test", verify_certificate: false })),
    ];
  };
  const settings = { allowCodeModules: false, allowPrivateOrigins: true, edgeAddresses: [] };
  const at = (host: string, urlPath = "/", headers: Record<string, string> = {}) => get(httpPort, host, headers, urlPath, NODE);

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-chains-"));
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-chains-ca-"));
    const good = makeCa(certDir, "edge-test-ca", ["origin.test"]);
    const bad = makeCa(certDir, "untrusted-ca", ["origin.test"]);
    trusted = tlsOrigin("tls-origin", good["origin.test"]);
    rogue = tlsOrigin("rogue-origin", bad["origin.test"]);
    ports.main = await listen(main.server);
    ports.alt = await listen(alt.server);
    ports.ws = await listen(ws.server);
    ports.trusted = await listen(trusted.server);
    ports.rogue = await listen(rogue.server);
    const dead = http.createServer();
    ports.dead = await listen(dead);
    await new Promise((r) => dead.close(r));
    await listen(con.server);
    con.set(1, envs(), settings);
    node = edgeAgent({
      stateDir,
      consoleUrl: con.url(),
      httpPort,
      portBase,
      bindAddress: NODE,
      env: { EDGE_ORIGIN_CA_FILE: path.join(certDir, "edge-test-ca.crt") },
    });
    node.start();
    await until("every environment applied", () => ids.every((id) => con.lastReportFor(id)?.status === "applied"), 90_000);
  }, 120_000);

  afterAll(async () => {
    const t0 = Date.now();
    await node?.stop("SIGTERM");
    const stopMs = Date.now() - t0;
    const stoppedCleanly = /stopped with its proxies/.test(node?.log() ?? "");
    const left = node ? node.leftovers() : [];
    for (const s of [main.server, alt.server, ws.server, trusted.server, rogue.server, con.server]) {
      s.close();
      s.closeAllConnections();
    }
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(certDir, { recursive: true, force: true });
    expect(stoppedCleanly, `stopped in ${stopMs} ms:\n${node?.log().slice(-2000)}`).toBe(true);
    expect(left, "processes left after the agent stopped").toEqual([]);
  }, 60_000);

  it("verifies an HTTPS origin against the system CAs plus EDGE_ORIGIN_CA_FILE, with tls_name and enable_sni", async () => {
    for (const id of ids) expect(con.lastReportFor(id), `e${id}`).toMatchObject({ status: "applied" });
    const ok = await at("tls.test", "/", { "x-request-id": "tls-1" });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("hello from tls-origin");
    expect(trusted.hits.at(-1)).toEqual({ servername: "origin.test", host: "tls.test" });

    // A certificate from a CA the node does not trust: 502 with the request id, at once.
    const untrusted = await at("tls-rogue.test", "/", { "x-request-id": "tls-2" });
    expect(untrusted.status).toBe(502);
    expect(untrusted.headers["x-request-id"]).toBe("tls-2");
    expect(untrusted.headers["x-edge-status"]).toBe("origin-unreachable");
    expect(untrusted.ms).toBeLessThan(3000);
    expect(rogue.hits).toHaveLength(0);

    // A trusted certificate for another name than tls_name fails verification too.
    const before = trusted.hits.length;
    const wrongName = await at("tls-wrong-name.test", "/", { "x-request-id": "tls-3" });
    expect(wrongName.status).toBe(502);
    expect(wrongName.headers["x-request-id"]).toBe("tls-3");
    expect(trusted.hits.length).toBe(before);

    // enable_sni false: no SNI sent, the certificate still checked against tls_name.
    const noSni = await at("tls-no-sni.test");
    expect(noSni.status).toBe(200);
    expect(trusted.hits.at(-1)).toEqual({ servername: false, host: "tls-no-sni.test" });
    // verify_certificate false (the customer's choice for a self-signed origin): the untrusted origin answers over
    // TLS, with SNI.
    const unverified = await at("tls-unverified.test");
    expect(unverified.status).toBe(200);
    expect(rogue.hits.at(-1)).toEqual({ servername: "origin.test", host: "tls-unverified.test" });
    console.log(`HTTPS origin: verified 200 in ${ok.ms} ms; untrusted CA 502 in ${untrusted.ms} ms; wrong name 502 in ${wrongName.ms} ms`);
  });

  it("speaks HTTP/2 over TLS at the front, with the body from the origin", async () => {
    main.hits.length = 0;
    const out = await curl([
      "--http2",
      "-k",
      "--resolve",
      `a.test:${httpsPort}:${NODE}`,
      "-D",
      "-",
      "-w",
      "\nversion=%{http_version}",
      `https://a.test:${httpsPort}/h2`,
    ]);
    expect(out).toMatch(/^HTTP\/2 200/);
    expect(out).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
    expect(out).toContain("hello from main");
    expect(out).toMatch(/version=2$/);
    expect(main.hits.at(-1)?.headers.host).toBe("a.test");
    expect(main.hits.at(-1)?.headers["x-forwarded-proto"]).toBe("https");
  });

  it("passes a WebSocket end to end, through the empty chain, varnish, and modsecurity + varnish", async () => {
    for (const host of ["ws.test", "ws-varnish.test", "ws-waf.test"]) {
      const r = await wsRoundTrip(httpPort, host, `hi ${host}`);
      expect(r.status, host).toMatch(/^HTTP\/1\.1 101/);
      expect(r.accept, host).not.toBeNull();
      expect(r.accept, host).not.toMatch(/MISMATCH/);
      expect(r.echo, host).toBe(`echo: hi ${host}`);
      expect(ws.upgrades.at(-1)?.host, host).toBe(host);
      expect(ws.upgrades.at(-1)?.["x-edge-secret"], host).toMatch(/^secret-(9|10|11)$/);
    }
    expect(ws.upgrades).toHaveLength(3);
  });

  it("answers the environment's custom 502 page when its origin is down, with X-Request-Id", async () => {
    const down = await at("down.test", "/", { "x-request-id": "down-7" });
    expect(down.status).toBe(502);
    expect(down.body).toBe(CUSTOM_502);
    expect(down.headers["x-request-id"]).toBe("down-7");
    expect(down.headers["x-edge-status"]).toBe("origin-unreachable");
    expect(down.headers["cache-control"]).toBe("no-store");
    // Environments without custom pages get the platform's page.
    const rogueDown = await at("tls-rogue.test");
    expect(rogueDown.body).toMatch(/502 Bad gateway/);
  });

  it("routes Host with a port like the bare hostname: one cache object, the origin sees Host without the port", async () => {
    main.hits.length = 0;
    const withPort = await at("cached.test:8080", "/host-port");
    const bare = await at("cached.test", "/host-port");
    const upper = await at("CACHED.TEST.:80", "/host-port");
    expect(withPort.status).toBe(200);
    expect(withPort.headers["x-cache"]).toBe("MISS");
    expect(bare.headers["x-cache"]).toBe("HIT");
    expect(upper.headers["x-cache"]).toBe("HIT");
    expect(main.hits.map((h) => h.headers.host)).toEqual(["cached.test"]);
    const empty = await at("a.test:8080", "/empty-chain");
    expect(empty.status).toBe(200);
    expect(main.hits.at(-1)?.headers.host).toBe("a.test");
  });

  it("answers 503 with the environment's page, never a 404 or another environment's page, while varnishd restarts", async () => {
    await at("cached.test", "/warm");
    const oldPid = node.pidOf("varnishd");
    const seen: { host: string; r: Got | null; error?: string; at: number }[] = [];
    let stop = false;
    const t0 = Date.now();
    const loop = async (host: string) => {
      for (let i = 0; !stop; i++) {
        try {
          seen.push({ host, r: await at(host, `/restart-${i}`), at: Date.now() - t0 });
        } catch (e) {
          seen.push({ host, r: null, error: String(e), at: Date.now() - t0 });
        }
      }
    };
    const loops = [loop("cached.test"), loop("other.test"), loop("cached.test")];
    await new Promise((r) => setTimeout(r, 300));
    process.kill(oldPid, "SIGKILL");
    const killedAt = Date.now() - t0;
    await until(
      "varnishd restarted and both environments served",
      async () => {
        if (node.pidOf("varnishd") === oldPid) return false;
        const [a, b] = [await at("cached.test", "/after"), await at("other.test", "/after")];
        return a.status === 200 && b.status === 200;
      },
      // a restart recompiles every environment's VCL with gcc: slow on a loaded 2-core machine
      75_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    const label = (s: (typeof seen)[number]) => (s.r ? `${s.r.status} ${s.r.headers["x-edge-status"] ?? ""}`.trim() : "error");
    const byStatus: Record<string, number> = {};
    for (const s of seen) byStatus[label(s)] = (byStatus[label(s)] ?? 0) + 1;
    const unavailable = seen.filter((s) => s.r?.status === 503);
    const window = unavailable.length ? unavailable.at(-1)!.at - unavailable[0].at : 0;
    // Every message starts with what was seen, so a failure's first line explains itself.
    const summary = `varnishd killed at ${killedAt} ms: ${seen.length} requests, by status ${JSON.stringify(byStatus)}, 503 window ${window} ms`;
    console.log(summary);
    const show = (list: typeof seen) =>
      `${summary}; first: ${JSON.stringify(list.slice(0, 3).map((s) => ({ host: s.host, at: s.at, status: s.r?.status, edge: s.r?.headers["x-edge-status"], error: s.error, body: s.r?.body.slice(0, 80) })))}`;

    const notFound = seen.filter((s) => s.r?.status === 404);
    expect(notFound, show(notFound)).toEqual([]);
    const wrongPage = seen.filter(
      (s) => s.r?.status === 200 && s.r.body !== (s.host === "other.test" ? "hello from alt" : "hello from main"),
    );
    expect(wrongPage, show(wrongPage)).toEqual([]);
    const errors = seen.filter((s) => !s.r);
    expect(errors, `connection errors: ${show(errors)}`).toEqual([]);
    const notThePage = seen.filter(
      (s) =>
        s.r &&
        s.r.status !== 200 &&
        (s.r.status !== 503 ||
          s.r.headers["x-edge-status"] !== "chain-unavailable" ||
          !/^[0-9a-f-]{36}$/.test(String(s.r.headers["x-request-id"])) ||
          (s.host === "cached.test" ? s.r.body !== CUSTOM_503 : !/503 Service unavailable/.test(s.r.body))),
    );
    expect(notThePage, `answers other than the environment's 503 page: ${show(notThePage)}`).toEqual([]);
    expect(unavailable.length, `the restart window was observed: ${summary}`).toBeGreaterThan(0);
  }, 120_000);
  it("answers 503 with the environment's page while the chain's first module (nginx) is down", async () => {
    expect((await at("ws-waf.test", "/before")).status).toBe(200);
    const run = path.join(stateDir, "run");
    const pidFiles = fs.readdirSync(run).filter((f) => f.endsWith(".pid") && !/^(haproxy|varnishd)\.pid$/.test(f));
    expect(pidFiles, "the modsecurity nginx of ws-waf.test").toHaveLength(1);
    const pid = Number(fs.readFileSync(path.join(run, pidFiles[0]), "utf8"));
    // The agent restarts a dead module within about a second, and HAProxy sends a refused GET once more after its
    // one-second turn-around (`retry-on conn-failure`): a fast restart hides the outage from clients, which is the
    // point of both. To see what a client gets while the module stays down, the agent is paused (SIGSTOP) until the
    // first answer, then resumed to restart it. The whole process group goes: nginx's workers hold the socket too.
    const agentPid = node.child()!.pid!;
    process.kill(agentPid, "SIGSTOP");
    const answers: Got[] = [];
    try {
      process.kill(-pid, "SIGKILL");
      const t0 = Date.now();
      while (Date.now() - t0 < 5000 && !answers.some((r) => r.status !== 200))
        answers.push(await at("ws-waf.test", "/while-down", { "x-request-id": "waf-down-1" }));
    } finally {
      process.kill(agentPid, "SIGCONT");
    }
    const down = answers.find((r) => r.status !== 200);
    expect(down, `answers: ${answers.map((r) => r.status).join(",")}`).toBeDefined();
    expect(down!.status).toBe(503);
    expect(down!.headers["x-edge-status"]).toBe("chain-unavailable");
    expect(down!.headers["x-request-id"]).toBe("waf-down-1");
    expect(down!.body).toBe(WAF_503);
    for (const r of answers.filter((x) => x.status === 200)) expect(r.body).toBe("hello from ws");
    await until("ws-waf.test served again", async () => (await at("ws-waf.test", "/after")).status === 200, 40_000);
  }, 60_000);
});
