import { defineConfig } from "@playwright/test";
import { E2E } from "./e2e/env";

/**
 * Journeys in Debian's Chromium (`/usr/bin/chromium`, or CHROMIUM_PATH) against `next start`, started by
 * e2e/serve.ts together with the loopback DNS server the console resolves through. The test process imports the
 * product's server modules (e2e/people.ts): e2e/tsconfig.playwright.json maps their `server-only` marker to the
 * test stand-in (as vitest.config.ts does) for every file Playwright loads.
 */
export default defineConfig({
  testDir: "./e2e",
  tsconfig: "./e2e/tsconfig.playwright.json",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  outputDir: "test-results/e2e",
  reporter: [["list"], ["json", { outputFile: "test-results/playwright.json" }]],
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
  webServer: {
    command: "npx tsx e2e/serve.ts",
    url: `${E2E.baseUrl}/api/health`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
