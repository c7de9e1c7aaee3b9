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
      "db/migrations-pg/**",
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
  // One code for SQLite and PostgreSQL (docs/architecture.md, "Data"): await a query builder, or use first/one
  // (db/index.ts); `.get()`, `.all()`, `.run()` and the database-level raw calls exist only on SQLite.
  {
    files: ["app/**", "components/**", "lib/**", "db/**", "scripts/**", "bench/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "CallExpression[arguments.length=0] > MemberExpression.callee[property.name=/^(get|all|run)$/][object.type='CallExpression']:not([object.callee.property.name='prepare'])",
          message: "SQLite-only: await the query itself, or use first()/one() from @/db (docs/architecture.md, Data).",
        },
        {
          selector: "CallExpression > MemberExpression.callee[property.name=/^(get|all|run|values)$/][object.callee.name='getDb']",
          message: "SQLite-only: use rowsOf()/execute() from @/db for raw SQL (docs/architecture.md, Data).",
        },
        {
          selector: "CallExpression > MemberExpression.callee[property.name=/^(get|all|run|values)$/][object.name='tx']",
          message: "SQLite-only: use rowsOf()/execute() from @/db for raw SQL (docs/architecture.md, Data).",
        },
      ],
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
