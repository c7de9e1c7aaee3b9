import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import nextTypescript from "eslint-config-next/typescript";

const config = [
  ...nextCoreWebVitals,
  ...nextTypescript,
  {
    ignores: [
      "node_modules/**",
      ".next/**",
      ".next-*/**",
      "data/**",
      "test-results/**",
      "playwright-report/**",
      "next-env.d.ts",
      "db/migrations/**",
    ],
  },
  // The data layer is asynchronous (docs/architecture.md, "Data"): a query or transaction that is not awaited is a bug.
  {
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
    },
  },
  // Pages and components read through lib/ functions; only lib/ (and scripts, tests, benchmarks) hold the client.
  {
    files: ["app/**", "components/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "@/db", message: "The database client stays in lib/: call a lib function (docs/architecture.md, Data)." },
            { name: "@/db/index", message: "The database client stays in lib/: call a lib function (docs/architecture.md, Data)." },
            { name: "drizzle-orm", message: "Queries live in lib/ (docs/architecture.md, Data)." },
          ],
        },
      ],
    },
  },
];
export default config;
