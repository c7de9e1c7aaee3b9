import { defineConfig } from "@playwright/test";
import { EDGE_E2E } from "./e2e/edge-env";
import { E2E } from "./e2e/env";

/**
 * `E2E_DATABASE=postgres` (scripts/test-all.mjs): the console of e2e/serve.ts runs on PostgreSQL, only the console's
 * server starts, and the run is given the journeys to replay there (e2e/journey.spec.ts, e2e/attacker.spec.ts).
 */
const onPostgres = E2E.database === "postgres";
// The test processes (Playwright's workers, started with this process's environment) open the same database through
// the product's db module, whose tables follow DATABASE_URL from their first import.
if (onPostgres) process.env.DATABASE_URL = E2E.postgresUrl;

/** The edge project's specs: e2e/edge.spec.ts, e2e/https.spec.ts, e2e/purge.spec.ts, e2e/purge-catch-up.spec.ts and e2e/traffic.spec.ts (not e2e/ops-edge.spec.ts, a console journey). */
const EDGE_SPEC = /(^|[\\/])e2e[\\/](edge|https|purge|purge-catch-up|traffic)\.spec\.ts$/;

/**
 * Journeys in Debian's Chromium (`/usr/bin/chromium`, or CHROMIUM_PATH) against `next start`, started by
 * e2e/serve.ts together with the loopback DNS server the console resolves through. The test process imports the
 * product's server modules (e2e/people.ts): e2e/tsconfig.playwright.json maps their `server-only` marker to the
 * test stand-in (as vitest.config.ts does) for every file Playwright loads.
 *
 * Two projects: "console" (every journey but the edge's, against the console of e2e/serve.ts) and "edge"
 * (e2e/edge.spec.ts: a second console and a real edge node started by e2e/serve-edge.ts; run it alone with
 * `npx playwright test --project=edge`). Playwright starts both web servers for either project.
 */
/** The second web server: a console and a real edge node (e2e/serve-edge.ts), for the "edge" project. */
const edgeServer = {
  // Ready once the edge node serves (or could not start: e2e/edge.spec.ts then fails with the reason).
  command: "npx tsx e2e/serve-edge.ts",
  url: `${EDGE_E2E.controlUrl}/ready`,
  reuseExistingServer: false,
  timeout: 240_000,
  stdout: "pipe" as const,
  stderr: "pipe" as const,
  // SIGTERM first: serve-edge stops the agent's process group (which stops its proxies), then the console.
  gracefulShutdown: { signal: "SIGTERM" as const, timeout: 20_000 },
};

export default defineConfig({
  testDir: "./e2e",
  tsconfig: "./e2e/tsconfig.playwright.json",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  outputDir: "test-results/e2e",
  reporter: [["list"], ["json", { outputFile: onPostgres ? "test-results/playwright-postgres.json" : "test-results/playwright.json" }]],
  use: {
    baseURL: E2E.baseUrl,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "console", testIgnore: EDGE_SPEC },
    { name: "edge", testMatch: EDGE_SPEC, use: { baseURL: EDGE_E2E.consoleUrl } },
  ],
  webServer: [
    {
      command: "npx tsx e2e/serve.ts",
      // Ends the PostgreSQL cluster too (e2e/serve.ts stops it when the console exits).
      gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
      url: `${E2E.baseUrl}/api/health`,
      reuseExistingServer: false,
      timeout: 180_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    ...(onPostgres ? [] : [edgeServer]),
  ],
});
