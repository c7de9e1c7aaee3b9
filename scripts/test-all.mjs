// The README's test command: type check, ESLint (Next's rules), unit/integration tests (vitest) on SQLite and again on
// PostgreSQL, a production build and its first-load JavaScript budget, then the Chromium journeys (Playwright). Ends
// with one plain line: "N passed, N failed".
//
//   node scripts/test-all.mjs [stage…] [-- vitest args…]
//
// Stages: typecheck, lint, unit (both vitest runs), unit-postgres (the PostgreSQL run only), e2e; none = all.
// Arguments after `--` go to both vitest runs (e.g. `-- lib/testing` to run only those files).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const results = path.join(root, "test-results");
fs.mkdirSync(results, { recursive: true });
const argv = process.argv.slice(2);
const dashes = argv.indexOf("--");
const only = dashes === -1 ? argv : argv.slice(0, dashes);
const vitestArgs = dashes === -1 ? [] : argv.slice(dashes + 1);
const want = (stage) => only.length === 0 || only.includes(stage);

let passed = 0;
let failed = 0;
// The names of failed tests with the first line of their error, printed again at the very end so that the tail of
// a long CI log says what failed.
const failures = [];
const firstLine = (text) =>
  String(text ?? "")
    .trim()
    .split("\n")[0]
    .slice(0, 300);

function run(label, command, args, env = {}) {
  console.log(`\n=== ${label}: ${[path.basename(command), ...args].join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
  return result.status === 0;
}

function check(label, ok) {
  if (ok) passed += 1;
  else {
    failed += 1;
    console.log(`✗ ${label} failed`);
    failures.push(label);
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

// System packages the tests and the edge need (scripts/install-system-packages.sh). As root, what is missing is
// installed first; otherwise one line names the script and the suites that need a missing tool skip with their
// own message (never under CI=true, where they fail instead).
if (want("unit") || want("unit-postgres") || want("e2e")) {
  const installer = path.join(root, "scripts", "install-system-packages.sh");
  const missing = spawnSync(installer, ["--check"], { cwd: root, encoding: "utf8" });
  if (missing.status !== 0) {
    const what = `${missing.stdout}${missing.stderr}`.trim().split("\n").join("; ");
    if (process.getuid?.() === 0) check("system packages", run("System packages", installer, []));
    else console.log(`System packages: ${what || "the check failed"} — run: sudo scripts/install-system-packages.sh`);
  }
}

if (want("typecheck")) check("type check", run("Type check", bin("tsc"), ["--noEmit", "-p", "."]));
if (want("lint")) check("ESLint", run("ESLint", bin("eslint"), [".", "--max-warnings", "0"]));
if (want("lint")) check("Formatting", run("Formatting (Prettier)", bin("prettier"), ["--check", "."]));

// One vitest run with its JSON report in test-results/<report>: counts its tests and adds each failed test (or a file
// that failed without a failed test) to `failures` as "<prefix> <file> › <test>: <first line of the error>".
function vitestStage(label, report, prefix, env = {}, extra = []) {
  const file = path.join(results, report);
  // lib/testing/unhandled-reporter.ts writes the run's unhandled errors and failed hooks here, named in the failure list.
  const unhandledFile = file.replace(/\.json$/, "-unhandled.json");
  fs.rmSync(file, { force: true });
  fs.rmSync(unhandledFile, { force: true });
  const ok = run(
    label,
    bin("vitest"),
    [
      "run",
      "--reporter=default",
      "--reporter=json",
      "--reporter=./lib/testing/unhandled-reporter.ts",
      `--outputFile=${file}`,
      ...extra,
      ...vitestArgs,
    ],
    { ...env, VITEST_UNHANDLED_FILE: unhandledFile },
  );
  const runErrors = readJson(unhandledFile) ?? [];
  const named = new Set(runErrors.map((error) => error.file && path.relative(root, error.file)));
  for (const error of runErrors) {
    const where = error.file ? `${path.relative(root, error.file)}${error.test ? ` › ${error.test}` : ""}` : "no test file";
    const what = error.kind === "suite" ? (error.test ? "a hook of" : "the file") : `unhandled ${error.name} in`;
    failures.push(`${prefix} ${what} ${where}: ${firstLine(error.message)} ${firstLine(error.stack.split("\n")[1] ?? "")}`);
  }
  const json = readJson(file);
  if (json) {
    for (const file of json.testResults ?? []) {
      const name = path.relative(root, file.name);
      for (const test of file.assertionResults ?? []) {
        if (test.status === "failed") failures.push(`${prefix} ${name} › ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
      }
      if (file.status === "failed" && !named.has(name) && !(file.assertionResults ?? []).some((t) => t.status === "failed")) {
        failures.push(`${prefix} ${name}: ${firstLine(file.message)}`);
      }
    }
    passed += json.numPassedTests;
    failed += json.numFailedTests + (ok || json.numFailedTests > 0 ? 0 : 1);
    if (!ok && json.numFailedTests === 0 && runErrors.length === 0)
      failures.push(`${prefix}: exited non-zero with no failed test (see its output)`);
  } else {
    failed += 1;
    failures.push(`${prefix}: no report (${path.relative(root, file)})`);
  }
}

if (want("unit")) vitestStage("Unit and integration tests", "vitest.json", "vitest", { TEST_DATABASE: "sqlite" });

// The same files again on a throwaway PostgreSQL cluster (lib/testing/postgres-global-setup.ts). Without PostgreSQL
// one line says why and nothing is counted, except under CI=true, where the stage fails.
let postgresChecked;
/** Why PostgreSQL cannot run here ("" when it can), asked once of lib/testing/postgres.ts. */
function postgresMissing() {
  if (postgresChecked === undefined) {
    const probe = spawnSync(
      bin("tsx"),
      ["--eval", 'import { postgresAvailable } from "./lib/testing/postgres.ts"; process.stdout.write(postgresAvailable() ?? "");'],
      { cwd: root, encoding: "utf8" },
    );
    postgresChecked =
      probe.status === 0 ? probe.stdout.trim() : `the PostgreSQL check failed: ${firstLine(probe.stderr || probe.error?.message)}`;
  }
  return postgresChecked;
}

if (want("unit") || want("unit-postgres")) {
  const reason = postgresMissing();
  if (!reason) {
    // edge/ is the agent's own code, which never opens the console's database (docs/product.md §8): its suites run
    // once, in the SQLite stage.
    vitestStage("Unit and integration tests on PostgreSQL", "vitest-postgres.json", "vitest[postgres]", { TEST_DATABASE: "postgres" }, [
      "--exclude",
      "edge/**",
      "--exclude",
      "node_modules/**",
      "--exclude",
      "e2e/**",
      "--exclude",
      ".next/**",
      "--exclude",
      "data/**",
    ]);
  } else if (process.env.CI === "true") {
    failed += 1;
    failures.push(`PostgreSQL suite cannot run (CI=true): ${reason}`);
    console.log(`✗ ${failures.at(-1)}`);
  } else console.log(`PostgreSQL suite skipped: ${reason}`);
}

if (want("e2e")) {
  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-build-"));
  const built = run("Production build", bin("next"), ["build"], { DATA_DIR: buildDir, NEXT_TELEMETRY_DISABLED: "1" });
  fs.rmSync(buildDir, { recursive: true, force: true });
  check("next build", built);
  // Every page but the editor's loads at most 150 kB of gzip JavaScript on a first visit (docs/architecture.md).
  if (built)
    check(
      "first-load JavaScript",
      run("First-load JavaScript (gzip)", process.execPath, ["scripts/first-load-js.mjs", "--budget", "150", "--except", "/edit"]),
    );
  if (built) playwrightStage("Journeys (Playwright, Chromium)", "playwright.json", "playwright", [], {});
  if (built && postgresMissing()) {
    if (process.env.CI === "true") {
      failed += 1;
      failures.push(`PostgreSQL journeys cannot run (CI=true): ${postgresMissing()}`);
    } else console.log(`PostgreSQL journeys skipped: ${postgresMissing()}`);
  }
  // The signup-to-live journey and the attackers' again with the console on PostgreSQL (e2e/env.ts E2E_DATABASE).
  if (built && !postgresMissing())
    playwrightStage(
      "Journeys on PostgreSQL (Playwright, Chromium)",
      "playwright-postgres.json",
      "playwright[postgres]",
      ["--project=console", "e2e/journey.spec.ts", "e2e/attacker.spec.ts"],
      { E2E_DATABASE: "postgres" },
    );
}

/** One Playwright run, its report read into the totals and the failure list. */
function playwrightStage(label, reportName, prefix, args, env) {
  const file = path.join(results, reportName);
  fs.rmSync(file, { force: true });
  const ok = run(label, bin("playwright"), ["test", ...args], env);
  const report = readJson(file);
  if (report?.stats) {
    const walk = (suite, titles) => {
      for (const spec of suite.specs ?? []) {
        for (const test of spec.tests ?? []) {
          if (test.status === "unexpected" || test.status === "flaky") {
            const error = test.results?.find((r) => r.error)?.error?.message;
            failures.push(`${prefix} ${spec.file} › ${[...titles, spec.title].join(" › ")} (${test.status}): ${firstLine(error)}`);
          }
        }
      }
      for (const child of suite.suites ?? []) walk(child, [...titles, child.title]);
    };
    for (const suite of report.suites ?? []) walk(suite, []);
    passed += report.stats.expected;
    failed += report.stats.unexpected + (report.stats.flaky ?? 0) + (ok || report.stats.unexpected > 0 ? 0 : 1);
    if (!ok && report.stats.unexpected === 0 && !report.stats.flaky)
      failures.push(`${prefix}: exited non-zero with no failed test (see its output, e.g. a web server's)`);
  } else failed += 1;
}

if (failures.length > 0) {
  console.log(`\nFailed tests:`);
  for (const line of failures) console.log(`✗ ${line}`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
