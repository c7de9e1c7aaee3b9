// Playwright's webServer: starts the loopback DNS server first (the console must know it at start), then the
// console's server (scripts/server.mjs: Next behind a plain Node server) on a fresh data folder. Records are changed
// by the specs through the DNS server's control port.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { startDnsServer } from "../lib/testing/dns-server";
import { startSmtpServer } from "../lib/testing/smtp-server";
import { createTestDatabase, startTestCluster } from "../lib/testing/postgres";
import { CONSOLE_LOG, teeTo, withoutAccessLines } from "./console-log";
import { consoleEnv, E2E } from "./env";

const root = path.resolve(import.meta.dirname, "..");
const next = path.join(root, "node_modules", ".bin", "next");

async function main() {
  fs.rmSync(E2E.dataDir, { recursive: true, force: true });
  fs.mkdirSync(E2E.dataDir, { recursive: true });
  const dns = await startDnsServer({ dnsPort: E2E.dnsPort, controlPort: E2E.dnsControlPort });
  console.log(`e2e: DNS server on 127.0.0.1:${dns.dnsPort}, control on ${dns.controlPort}`);
  const smtp = await startSmtpServer({ smtpPort: E2E.smtpPort, controlPort: E2E.smtpControlPort });
  // E2E_DATABASE=postgres: the console runs on a throwaway cluster at the fixed port the test process knows too.
  const cluster = E2E.database === "postgres" ? await startTestCluster({ port: E2E.postgresPort }) : null;
  if (cluster) {
    await createTestDatabase(cluster.url, new URL(E2E.postgresUrl).pathname.slice(1));
    console.log(`e2e: PostgreSQL on 127.0.0.1:${cluster.port}, database ${E2E.postgresUrl}`);
  }
  console.log(`e2e: SMTP server on ${smtp.smtpUrl}, control on ${smtp.controlUrl}`);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C.UTF-8",
    NODE_ENV: "production",
    PORT: String(E2E.port),
    // DATA_DIR, AUTH_SECRET, APP_URL, DNS, SMTP, operators, rate limits: shared with the test process (e2e/env.ts).
    ...consoleEnv(),
    NEXT_TELEMETRY_DISABLED: "1",
    ...(process.env.NEXT_DIST_DIR ? { NEXT_DIST_DIR: process.env.NEXT_DIST_DIR } : {}),
  };
  if (env.SMTP_URL !== smtp.smtpUrl || env.DNS_SERVERS !== `127.0.0.1:${dns.dnsPort}`)
    throw new Error("e2e: servers and settings disagree");
  if (!fs.existsSync(path.join(root, process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) {
    const build = spawnSync(next, ["build"], { cwd: root, stdio: "inherit", env: { ...env, DATA_DIR: path.join(E2E.dataDir, "build") } });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  const server = spawn(
    process.execPath,
    [path.join(root, "scripts", "server.mjs"), "--port", String(E2E.port), "--hostname", "127.0.0.1"],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env,
    },
  );
  // Kept whole in test-results/console.log for e2e/zz-log-secrets.spec.ts; printed without the access-log lines.
  const keep = teeTo(CONSOLE_LOG);
  const print = withoutAccessLines(process.stdout);
  server.stdout?.on("data", (chunk: Buffer) => {
    print(chunk);
    keep(chunk);
  });
  server.stderr?.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    keep(chunk);
  });
  const stop = () => {
    server.kill("SIGTERM");
    void dns.close();
    void smtp.close();
  };
  const stopCluster = () => void cluster?.stop();
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  server.on("exit", (code) => {
    void dns.close();
    void smtp.close();
    void Promise.resolve(stopCluster()).finally(() => process.exit(code ?? 0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
