import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import net from "node:net";
import path from "node:path";
import { makeTestPki, type TestPki } from "./test-pki";

// Debian's `pebble` (a small ACME test CA) on loopback for tests: its listener certificate is made by openssl here
// and its CA is what the console trusts through ACME_CA_BUNDLE. Real validation: PEBBLE_VA_ALWAYS_VALID is never set.

/** A running pebble. */
export type TestPebble = {
  /** `https://127.0.0.1:<port>/dir`. */
  directoryUrl: string;
  /** PEM file of the CA that signed pebble's listener certificate (for ACME_CA_BUNDLE). */
  caBundle: string;
  /** What pebble printed so far. */
  output(): string;
  /** How many orders (`POST /order-plz`) pebble received so far. */
  orders(): number;
  /** Writes pebble's issuing root (management API `GET /roots/0`) to a PEM file and returns its path. */
  rootFile(): Promise<string>;
  stop(): Promise<void>;
};

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** True when 127.0.0.1:`port` accepts a TCP connection (closed at once). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts pebble on 127.0.0.1 with its HTTP-01 validation port `httpPort` (the nodes' HTTP port) and its resolver
 * `dnsServer` (`127.0.0.1:<port>` of the test DNS server). `validitySeconds` sets pebble's
 * `certificateValidityPeriod` (the lifetime of the certificates it issues; pebble's default is 5 years), so a test
 * can see renewal at a third of the lifetime happen for real. Resolves once its ACME and management listeners accept
 * connections; rejects after 15 s.
 */
export async function startPebble(options: { httpPort: number; dnsServer: string; validitySeconds?: number }): Promise<TestPebble> {
  const pki: TestPki = makeTestPki();
  pki.ca("pebble-listener-ca");
  pki.issue("pebble-listener", "pebble-listener-ca", ["localhost"], { ips: ["127.0.0.1"] });
  const [port, management, tlsPort] = [await freePort(), await freePort(), await freePort()];
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${port}`,
      managementListenAddress: `127.0.0.1:${management}`,
      certificate: path.join(pki.dir, "pebble-listener.crt"),
      privateKey: path.join(pki.dir, "pebble-listener.key"),
      httpPort: options.httpPort,
      tlsPort,
      ocspResponderURL: "",
      externalAccountBindingRequired: false,
      ...(options.validitySeconds ? { certificateValidityPeriod: options.validitySeconds } : {}),
    },
  };
  const configFile = path.join(pki.dir, "pebble.json");
  fs.writeFileSync(configFile, JSON.stringify(config));
  let output = "";
  const child: ChildProcess = spawn("pebble", ["-config", configFile, "-dnsserver", options.dnsServer, "-strict", "false"], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 15_000;
  while (!/listening on/i.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      pki.remove();
      throw new Error(`pebble did not start: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // "listening on" names the ACME listener; the management listener (roots, used by rootFile) comes up on its own
  // goroutine and may still refuse connections (a CI run's e2e server failed on ECONNREFUSED there).
  while (!(await accepts(management))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      pki.remove();
      throw new Error(`pebble's management port ${management} did not open: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    caBundle: path.join(pki.dir, "pebble-listener-ca.crt"),
    output: () => output,
    orders: () => (output.match(/POST \/order-plz/g) ?? []).length,
    rootFile: async () => {
      const pem = await new Promise<string>((resolve, reject) => {
        const request = https.get(
          { host: "127.0.0.1", port: management, path: "/roots/0", ca: pki.read("pebble-listener-ca.crt"), servername: "localhost" },
          (response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (body += chunk));
            response.on("end", () =>
              response.statusCode === 200 ? resolve(body) : reject(new Error(`pebble /roots/0: ${response.statusCode}`)),
            );
          },
        );
        request.on("error", reject);
      });
      const file = path.join(pki.dir, "pebble-root.crt");
      fs.writeFileSync(file, pem);
      return file;
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      pki.remove();
    },
  };
}
