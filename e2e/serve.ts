// Playwright's webServer: starts the loopback DNS server first (the console must know it at start), then the
// console's server (scripts/server.mjs: Next behind a plain Node server) on a fresh data folder. Records are changed
// by the specs through the DNS server's control port.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { startDnsServer } from "../lib/testing/dns-server";
import { startSmtpServer } from "../lib/testing/smtp-server";
import { E2E } from "./env";

const root = path.resolve(import.meta.dirname, "..");
const next = path.join(root, "node_modules", ".bin", "next");

/**
 * Rate limits of the e2e console: generous for every kind (all specs share one client IP), except the login limit
 * per email, which e2e/mail.spec.ts exceeds with a dedicated address, and the two-factor limit per user (default). Small limits are tested by unit tests.
 */
function rateLimitEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kind of ["LOGIN", "SIGNUP", "RESET", "INVITE", "VERIFY_RESEND", "REAUTH"]) {
    env[`RATE_LIMIT_${kind}_PER_IP`] = String(E2E.generousRateLimit);
    env[`RATE_LIMIT_${kind}_PER_EMAIL`] = String(E2E.generousRateLimit);
  }
  env.RATE_LIMIT_LOGIN_PER_EMAIL = String(E2E.loginLimitPerEmail);
  env.RATE_LIMIT_API_PER_TOKEN = String(E2E.apiRateLimitPerToken);
  env.RATE_LIMIT_API_WINDOW_SECONDS = "60";
  // Two-factor codes: generous per IP, the default per user (5 wrong codes), which e2e/two-factor.spec.ts exceeds.
  env.RATE_LIMIT_TWO_FACTOR_PER_IP = String(E2E.generousRateLimit);
  return env;
}

async function main() {
  fs.rmSync(E2E.dataDir, { recursive: true, force: true });
  fs.mkdirSync(E2E.dataDir, { recursive: true });
  const dns = await startDnsServer({ dnsPort: E2E.dnsPort, controlPort: E2E.dnsControlPort });
  console.log(`e2e: DNS server on 127.0.0.1:${dns.dnsPort}, control on ${dns.controlPort}`);
  const smtp = await startSmtpServer({ smtpPort: E2E.smtpPort, controlPort: E2E.smtpControlPort });
  console.log(`e2e: SMTP server on ${smtp.smtpUrl}, control on ${smtp.controlUrl}`);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C.UTF-8",
    NODE_ENV: "production",
    PORT: String(E2E.port),
    DATA_DIR: E2E.dataDir,
    APP_URL: E2E.baseUrl,
    DNS_SERVERS: `127.0.0.1:${dns.dnsPort}`,
    DNS_TIMEOUT_MS: "800",
    DNS_TRIES: "1",
    EDGE_CNAME_SUFFIX: E2E.edgeCnameSuffix,
    EDGE_IPV4: E2E.edgeIpv4,
    SMTP_URL: smtp.smtpUrl,
    // Operators of the e2e console (e2e/ops.spec.ts signs up with these; only a verified one may open /ops).
    OPERATOR_EMAILS: E2E.operatorEmails.join(","),
    // Background re-checks once an hour: journeys expect a new domain to stay "Pending" until they press Verify now.
    CHECK_INTERVAL_SECONDS: "3600",
    ...rateLimitEnv(),
    NEXT_TELEMETRY_DISABLED: "1",
    ...(process.env.NEXT_DIST_DIR ? { NEXT_DIST_DIR: process.env.NEXT_DIST_DIR } : {}),
  };
  if (!fs.existsSync(path.join(root, process.env.NEXT_DIST_DIR || ".next", "BUILD_ID"))) {
    const build = spawnSync(next, ["build"], { cwd: root, stdio: "inherit", env: { ...env, DATA_DIR: path.join(E2E.dataDir, "build") } });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  const server = spawn(
    process.execPath,
    [path.join(root, "scripts", "server.mjs"), "--port", String(E2E.port), "--hostname", "127.0.0.1"],
    {
      cwd: root,
      stdio: "inherit",
      env,
    },
  );
  const stop = () => {
    server.kill("SIGTERM");
    void dns.close();
    void smtp.close();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  server.on("exit", (code) => {
    void dns.close();
    void smtp.close();
    process.exit(code ?? 0);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
