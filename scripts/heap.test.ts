import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONSOLE_SEMI_SPACE_MB, DEFAULT_CONSOLE_MAX_HEAP_MB, consoleHeapFlags } from "./heap.mjs";

// The console server's heap cap (scripts/heap.mjs): the flags `npm start` and scripts/server.mjs give node, and the
// refusal of a bad CONSOLE_MAX_HEAP_MB by the real server script before it starts anything.

const semi = `--max-semi-space-size=${CONSOLE_SEMI_SPACE_MB}`;

describe("consoleHeapFlags", () => {
  it("caps the old space at the default with the semi-space kept, unless told otherwise", () => {
    expect(consoleHeapFlags({}, [])).toEqual([`--max-old-space-size=${DEFAULT_CONSOLE_MAX_HEAP_MB}`, semi]);
    expect(consoleHeapFlags({ CONSOLE_MAX_HEAP_MB: " 256 " }, [])).toEqual(["--max-old-space-size=256", semi]);
    expect(consoleHeapFlags({ CONSOLE_MAX_HEAP_MB: "0" }, [])).toEqual([]);
  });

  it("leaves a cap given in NODE_OPTIONS or on node's command line alone", () => {
    expect(consoleHeapFlags({ NODE_OPTIONS: "--max-old-space-size=300" }, [])).toEqual([]);
    expect(consoleHeapFlags({ NODE_OPTIONS: "--enable-source-maps --max_old_space_size 300" }, [])).toEqual([]);
    expect(consoleHeapFlags({ CONSOLE_MAX_HEAP_MB: "128" }, ["--max-old-space-size=100"])).toEqual([]);
    expect(consoleHeapFlags({ NODE_OPTIONS: "--max-semi-space-size=8" }, [])).toEqual([
      `--max-old-space-size=${DEFAULT_CONSOLE_MAX_HEAP_MB}`,
    ]);
    // Another flag that merely contains the name is not a cap.
    expect(consoleHeapFlags({ NODE_OPTIONS: "--no-max-old-space-sizes" }, [])).toHaveLength(2);
  });

  it("refuses a setting that is not a whole number of MiB ≥ 96 with a sentence naming it", () => {
    for (const raw of ["abc", "-1", "1.5", "95", "1e3", "0x100", "192MB"])
      expect(() => consoleHeapFlags({ CONSOLE_MAX_HEAP_MB: raw }, []), raw).toThrow(
        /^CONSOLE_MAX_HEAP_MB must be a whole number of MiB, at least 96/,
      );
  });

  it("makes scripts/server.mjs exit with that sentence before starting anything", () => {
    const run = spawnSync(process.execPath, [path.join(import.meta.dirname, "server.mjs"), "--port", "1"], {
      env: { PATH: process.env.PATH, NODE_ENV: "production", CONSOLE_MAX_HEAP_MB: "lots" },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('CONSOLE_MAX_HEAP_MB must be a whole number of MiB, at least 96 (or 0 for no cap); got "lots".');
  });
});
