import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestPki, type TestPki } from "@/lib/https/test-pki";
import { renderHaproxy } from "../haproxy/render";
import { haveTool } from "../modules/tools";
import { EdgeHttps, httpsOf, type HttpsEnvironment } from "./certificates";

// A real HAProxy (the configuration renderHaproxy makes, with the HTTPS maps) gets certificates, HTTP-01 answers and
// the redirect through its Runtime API, no reload: docs/https.md "Edge side".

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number, host: string, urlPath: string): Promise<{ status: number; body: string; location?: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: urlPath, headers: { host }, agent: false }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, location: res.headers.location }));
      })
      .on("error", reject);
  });
}

/** The subject CN and serial of the certificate HAProxy presents for `servername`. */
function presented(port: number, servername: string): Promise<{ cn: string; serial: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve({ cn: String(cert.subject?.CN ?? ""), serial: cert.serialNumber });
    });
    socket.on("error", reject);
  });
}

describe.skipIf(!haveTool("haproxy") && process.env.CI !== "true")(
  "edge HTTPS through HAProxy's Runtime API (needs haproxy, openssl)",
  () => {
    let dir: string;
    let pki: TestPki;
    let haproxy: ChildProcess;
    let origin: http.Server;
    let https: EdgeHttps;
    let httpPort: number;
    let httpsPort: number;
    let log = "";
    const socket = () => path.join(dir, "admin.sock");

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-edge-https-"));
      pki = makeTestPki();
      pki.openssl([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "d.key",
        "-out",
        "d.crt",
        "-days",
        "30",
        "-subj",
        "/CN=edge-default",
      ]);
      const defaultPem = path.join(dir, "default.pem");
      fs.writeFileSync(defaultPem, pki.read("d.crt") + pki.read("d.key"), { mode: 0o600 });
      pki.ca("Edge Test CA");
      origin = http.createServer((req, res) => res.end(`origin ${req.url}`));
      await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
      [httpPort, httpsPort] = [await freePort(), await freePort()];
      const lastHop = { host: "127.0.0.1", port: await freePort() };
      https = new EdgeHttps(dir, defaultPem);
      https.writeFiles([]);
      const rendered = renderHaproxy(
        {
          dir,
          bindAddress: "127.0.0.1",
          httpPort,
          httpsPort,
          user: null,
          caFile: "/etc/ssl/certs/ca-certificates.crt",
          https: https.paths,
        },
        [
          {
            key: "e1",
            hostnames: ["www.a.test"],
            hopToken: "hop-1",
            secret: "secret-1",
            entry: lastHop,
            lastHop,
            ipBlacklist: [],
            origins: [
              {
                name: null,
                origin: { address: "127.0.0.1", port: (origin.address() as net.AddressInfo).port, protocol: "http" },
                resolution: { ok: true, addresses: ["127.0.0.1"] },
              },
            ],
            errorPages: {},
          },
        ],
      );
      fs.mkdirSync(path.join(dir, "files"), { recursive: true });
      for (const [rel, content] of Object.entries(rendered.files)) fs.writeFileSync(path.join(dir, rel), content);
      fs.writeFileSync(path.join(dir, "hosts.map"), rendered.hostsMap);
      fs.writeFileSync(path.join(dir, "node.map"), "drain 0\n");
      fs.writeFileSync(path.join(dir, "haproxy.cfg"), rendered.config);
      haproxy = spawn("haproxy", ["-db", "-f", path.join(dir, "haproxy.cfg")], { stdio: ["ignore", "pipe", "pipe"] });
      haproxy.stdout!.on("data", (d: Buffer) => (log += d.toString()));
      haproxy.stderr!.on("data", (d: Buffer) => (log += d.toString()));
      for (let i = 0; i < 100 && !fs.existsSync(socket()); i++) await new Promise((r) => setTimeout(r, 50));
      if (!fs.existsSync(socket())) throw new Error(`haproxy did not start: ${log}`);
    }, 30_000);
    afterAll(async () => {
      haproxy?.kill("SIGKILL");
      await new Promise<void>((resolve) => (origin ? origin.close(() => resolve()) : resolve()));
      pki?.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const env = (over: Partial<HttpsEnvironment> = {}): HttpsEnvironment => ({
      environmentId: 1,
      certificates: [],
      acmeChallenges: [],
      redirectHttps: false,
      ...over,
    });
    const pid = () => haproxy.pid;

    it("serves the default certificate, then a new certificate, a changed one and none again, without a reload", async () => {
      expect((await presented(httpsPort, "www.a.test")).cn).toBe("edge-default");
      const first = pki.issue("a1", "Edge Test CA", ["www.a.test"]);
      const applied = await https.apply(
        [env({ certificates: [{ hostname: "www.a.test", chain: first, key: pki.read("a1.key") }] })],
        socket(),
      );
      expect(applied).toMatchObject({ reload: false, errors: [] });
      expect(applied.commands).toBe(4);
      expect((await presented(httpsPort, "www.a.test")).cn).toBe("www.a.test");
      expect((await presented(httpsPort, "other.test")).cn).toBe("edge-default");
      const firstSerial = (await presented(httpsPort, "www.a.test")).serial;

      const second = pki.issue("a2", "Edge Test CA", ["www.a.test"]);
      expect(
        await https.apply([env({ certificates: [{ hostname: "www.a.test", chain: second, key: pki.read("a2.key") }] })], socket()),
      ).toMatchObject({
        reload: false,
        commands: 2,
      });
      expect((await presented(httpsPort, "www.a.test")).serial).not.toBe(firstSerial);
      expect(fs.readFileSync(path.join(dir, "crt-list.txt"), "utf8")).toContain(`${path.join(dir, "certs", "www.a.test.pem")} www.a.test`);

      expect(await https.apply([env()], socket())).toMatchObject({ reload: false, commands: 2 });
      expect((await presented(httpsPort, "www.a.test")).cn).toBe("edge-default");
      expect(fs.readdirSync(path.join(dir, "certs"))).toEqual([]);
      expect(haproxy.pid).toBe(pid());
      expect(haproxy.exitCode).toBeNull();
    });

    it("leaves out a certificate HAProxy would refuse (1024-bit RSA): the others are served, the node's files still load", async () => {
      pki.openssl(
        ["req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", "weak.key", "-out", "weak.crt", "-days", "30"].concat([
          "-subj",
          "/CN=weak.b.test",
          "-addext",
          "subjectAltName=DNS:weak.b.test",
        ]),
      );
      const good = pki.issue("g1", "Edge Test CA", ["www.a.test"]);
      const applied = await https.apply(
        [
          env({ certificates: [{ hostname: "www.a.test", chain: good, key: pki.read("g1.key") }] }),
          env({ environmentId: 2, certificates: [{ hostname: "weak.b.test", chain: pki.read("weak.crt"), key: pki.read("weak.key") }] }),
        ],
        socket(),
      );
      expect(applied.reload).toBe(false);
      expect(applied.refused).toEqual([expect.stringMatching(/^weak\.b\.test: .*1024-bit RSA key/)]);
      expect(https.refused).toEqual(applied.refused);
      expect((await presented(httpsPort, "www.a.test")).cn).toBe("www.a.test");
      expect((await presented(httpsPort, "weak.b.test")).cn).toBe("edge-default");
      expect(fs.readFileSync(path.join(dir, "crt-list.txt"), "utf8")).not.toContain("weak.b.test");
      // What a reload or a restart reads still loads.
      const check = spawnSync("haproxy", ["-c", "-f", path.join(dir, "haproxy.cfg")], { encoding: "utf8" });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(haproxy.exitCode).toBeNull();
      await https.apply([env()], socket());
      expect(https.refused).toEqual([]);
    });

    it("answers HTTP-01 tokens from the map and redirects plain HTTP with 308, never the challenge path", async () => {
      const chain = pki.issue("a3", "Edge Test CA", ["www.a.test"]);
      const token = "tok_ABC-123";
      await https.apply(
        [
          env({
            certificates: [{ hostname: "www.a.test", chain, key: pki.read("a3.key") }],
            acmeChallenges: [{ hostname: "www.a.test", token, keyAuthorization: `${token}.thumb` }],
            redirectHttps: true,
          }),
        ],
        socket(),
      );
      expect(https.tokensFor(1)).toEqual([token]);
      expect(await get(httpPort, "www.a.test", `/.well-known/acme-challenge/${token}`)).toMatchObject({
        status: 200,
        body: `${token}.thumb`,
      });
      expect(await get(httpPort, "WWW.A.TEST.", "/shop?x=1")).toMatchObject({
        status: 308,
        location: `https://www.a.test:${httpsPort}/shop?x=1`,
      });
      expect(await get(httpPort, "www.a.test", "/.well-known/acme-challenge/unknown")).toMatchObject({
        status: 200,
        body: "origin /.well-known/acme-challenge/unknown",
      });

      await https.apply([env({ redirectHttps: true })], socket());
      expect(https.tokensFor(1)).toEqual([]);
      expect(await get(httpPort, "www.a.test", `/.well-known/acme-challenge/${token}`)).toMatchObject({
        body: `origin /.well-known/acme-challenge/${token}`,
      });
      // No certificate, no redirect.
      expect(await get(httpPort, "www.a.test", "/shop")).toMatchObject({ status: 200, body: "origin /shop" });
    });

    it("reads only well-formed HTTPS entries from the desired state", () => {
      const parsed = httpsOf({
        environmentId: 3,
        certificates: [{ hostname: "Bad Host", chain: "x", key: "y" }, "nope"],
        acmeChallenges: [
          { hostname: "a.test", token: "ok_1", keyAuthorization: "ok_1.t" },
          { hostname: "a.test", token: "bad token", keyAuthorization: "x" },
        ],
        redirectHttps: "yes",
      });
      expect(parsed).toEqual({
        environmentId: 3,
        certificates: [],
        acmeChallenges: [{ hostname: "a.test", token: "ok_1", keyAuthorization: "ok_1.t" }],
        redirectHttps: false,
      });
    });
  },
);
