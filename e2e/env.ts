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
  edgeCnameSuffix: "edge.localhost",
  edgeIpv4: "192.0.2.10",
  screenshots: path.resolve("test-results/screenshots"),
  /** Login attempts per email per window the e2e console allows (e2e/mail.spec.ts exceeds it on purpose). */
  loginLimitPerEmail: 8,
  /** `OPERATOR_EMAILS` of the e2e console: e2e/ops.spec.ts signs up with both and verifies only the first. */
  operatorEmails: ["operator@ops-e2e.test", "unverified-operator@ops-e2e.test"],
  /** Every other rate limit of the e2e console: generous, so journeys never meet them. */
  generousRateLimit: 1000,
  /** REST API requests per token per minute (e2e/api.spec.ts exceeds it with a dedicated token). */
  apiRateLimitPerToken: 300,
};
