import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: {
      "@": import.meta.dirname,
      // `server-only` throws outside React Server Components; tests import server modules directly.
      "server-only": path.resolve(import.meta.dirname, "lib/testing/server-only-stub.ts"),
    },
  },
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "e2e/**", ".next/**", ".next-*/**", "data/**"],
    testTimeout: 20000,
    hookTimeout: 30000,
    pool: "forks",
    globalSetup: ["lib/testing/postgres-global-setup.ts"],
  },
});
