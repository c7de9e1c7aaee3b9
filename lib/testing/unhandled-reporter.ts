import fs from "node:fs";
import path from "node:path";
import type { Reporter, SerializedError, TestModule } from "vitest/node";

// A vitest reporter used by scripts/test-all.mjs: it writes to the JSON file named by VITEST_UNHANDLED_FILE the
// errors that vitest's JSON report leaves without a message: the run's unhandled errors (an exception thrown, or a
// promise rejected, outside any test's own await) with the test file and test that were running, and the errors of
// suites and files themselves (a failed beforeAll or afterAll, a file that does not load). The failure list at the
// end of a CI log then says what happened and where.

/** One error as written to the file: `kind` "unhandled" (outside any test) or "suite" (a hook or a file's load). */
export type RunError = {
  kind: "unhandled" | "suite";
  name: string;
  message: string;
  file: string | null;
  test: string | null;
  stack: string;
};

const shorten = (stack: unknown) =>
  String(stack ?? "")
    .split("\n")
    .slice(0, 12)
    .join("\n");

/** Writes the errors described above to `process.env.VITEST_UNHANDLED_FILE` (nothing when unset). */
export default class UnhandledReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const file = process.env.VITEST_UNHANDLED_FILE;
    if (!file) return;
    const errors: RunError[] = unhandledErrors.map((error) => ({
      kind: "unhandled",
      name: String(error.name ?? "Error"),
      message: String(error.message ?? ""),
      file: typeof error.VITEST_TEST_PATH === "string" ? error.VITEST_TEST_PATH : null,
      test: typeof error.VITEST_TEST_NAME === "string" ? error.VITEST_TEST_NAME : null,
      stack: shorten(error.stack),
    }));
    const suiteError = (error: SerializedError, file: string, suite: string | null): RunError => ({
      kind: "suite",
      name: String(error.name ?? "Error"),
      message: String(error.message ?? ""),
      file,
      test: suite,
      stack: shorten(error.stack),
    });
    for (const testModule of modules) {
      for (const error of testModule.errors()) errors.push(suiteError(error, testModule.moduleId, null));
      for (const suite of testModule.children.allSuites())
        for (const error of suite.errors()) errors.push(suiteError(error, testModule.moduleId, suite.fullName));
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(errors, null, 2)}\n`);
  }
}
