import os from "node:os";
import path from "node:path";

/** Fixed loopback ports and folders shared by the e2e server wrapper and the specs. */
export const E2E = {
  port: Number(process.env.E2E_PORT || 3100),
  get baseUrl() {
    return `http://localhost:${this.port}`;
  },
  dnsPort: Number(process.env.E2E_DNS_PORT || 15353),
  dnsControlPort: Number(process.env.E2E_DNS_CONTROL_PORT || 15380),
  get dnsControlUrl() {
    return `http://127.0.0.1:${this.dnsControlPort}`;
  },
  smtpPort: Number(process.env.E2E_SMTP_PORT || 15025),
  smtpControlPort: Number(process.env.E2E_SMTP_CONTROL_PORT || 15026),
  get smtpControlUrl() {
    return `http://127.0.0.1:${this.smtpControlPort}`;
  },
  dataDir: process.env.E2E_DATA_DIR || path.join(os.tmpdir(), "edge-console-e2e"),
  /**
   * `E2E_DATABASE=postgres` (scripts/test-all.mjs, journeys and attackers only): e2e/serve.ts starts a throwaway
   * PostgreSQL cluster on this fixed loopback port and the console runs on it; the test process uses the same URL.
   */
  database: process.env.E2E_DATABASE === "postgres" ? ("postgres" as const) : ("sqlite" as const),
  postgresPort: 59990,
  get postgresUrl() {
    return `postgres://postgres@127.0.0.1:${this.postgresPort}/edge_console_e2e`;
  },
  /**
   * `AUTH_SECRET` of the e2e console, so the test process can mint session cookies for users it signs up itself
   * (e2e/people.ts). A throwaway console on loopback: the secret only has to be the same on both sides.
   */
  authSecret: process.env.E2E_AUTH_SECRET || "e2e-only-auth-secret-of-a-throwaway-loopback-console",
  edgeCnameSuffix: "edge.localhost",
  edgeIpv4: "192.0.2.10",
  screenshots: path.resolve("test-results/screenshots"),
  /** Login attempts per email per window the e2e console allows (e2e/mail.spec.ts exceeds it on purpose). */
  loginLimitPerEmail: 8,
  /**
   * `OPERATOR_EMAILS` of the e2e console: e2e/ops.spec.ts signs up with the first two and verifies only the first;
   * e2e/ops-edge.spec.ts uses the third, e2e/a11y.spec.ts the fourth.
   */
  operatorEmails: ["operator@ops-e2e.test", "unverified-operator@ops-e2e.test", "edge-operator@ops-e2e.test", "a11y-operator@ops-e2e.test"],
  /** Every other rate limit of the e2e console: generous, so journeys never meet them. */
  generousRateLimit: 1000,
  /** REST API requests per token per minute (e2e/api.spec.ts exceeds it with a dedicated token). */
  apiRateLimitPerToken: 300,
};

/**
 * Rate limits of the e2e console: generous for every kind (all specs share one client IP), except the login limit
 * per email, which e2e/mail.spec.ts exceeds with a dedicated address, and the two-factor limit per user (default).
 * Small limits are tested by unit tests.
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

/**
 * The console's settings (docs/product.md §6) of the e2e run: the server started by e2e/serve.ts runs with them, and
 * the test process applies them too before it calls the product's own functions (e2e/people.ts), so both sides
 * open the same database (the SQLite file, or PostgreSQL with E2E_DATABASE=postgres), sign session tokens with the same secret and build the same links.
 */
export function consoleEnv(): Record<string, string> {
  return {
    DATA_DIR: E2E.dataDir,
    ...(E2E.database === "postgres" ? { DATABASE_URL: E2E.postgresUrl } : {}),
    AUTH_SECRET: E2E.authSecret,
    APP_URL: E2E.baseUrl,
    DNS_SERVERS: `127.0.0.1:${E2E.dnsPort}`,
    DNS_TIMEOUT_MS: "800",
    DNS_TRIES: "1",
    EDGE_CNAME_SUFFIX: E2E.edgeCnameSuffix,
    EDGE_IPV4: E2E.edgeIpv4,
    SMTP_URL: `smtp://127.0.0.1:${E2E.smtpPort}`,
    // Operators of the e2e console (e2e/ops.spec.ts signs up with these; only a verified one may open /ops).
    OPERATOR_EMAILS: E2E.operatorEmails.join(","),
    // Background re-checks once an hour: journeys expect a new domain to stay "Pending" until they press Verify now.
    CHECK_INTERVAL_SECONDS: "3600",
    ...rateLimitEnv(),
  };
}
