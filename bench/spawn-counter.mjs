// Preloaded into the console by bench/pages.ts (`node --import ./bench/spawn-counter.mjs scripts/server.mjs`): counts
// the child processes the server starts, by program name, and writes the counts as JSON to $BENCH_SPAWN_COUNT_FILE
// at most every 100 ms and when asked by SIGUSR2; with SIGUSR2 it also writes the peaks of process.memoryUsage()
// sampled every 250 ms since the previous SIGUSR2 (what holds the RSS: V8 heap, external, array buffers) to
// $BENCH_SPAWN_COUNT_FILE.memory.json. Measurement only; nothing in the console loads it.
import childProcess from "node:child_process";
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const file = process.env.BENCH_SPAWN_COUNT_FILE;
if (file) {
  const counts = {};
  let timer = null;
  const flush = () => {
    timer = null;
    fs.writeFileSync(file, JSON.stringify(counts));
  };
  const count = (program) => {
    const name = String(program).split("/").pop();
    counts[name] = (counts[name] ?? 0) + 1;
    if (!timer) timer = setTimeout(flush, 100).unref();
  };
  for (const method of ["spawn", "execFile", "fork"]) {
    const original = childProcess[method];
    childProcess[method] = function counted(program, ...rest) {
      count(method === "fork" ? "node" : program);
      return original.call(this, program, ...rest);
    };
  }
  syncBuiltinESMExports(); // `import { spawn } from "node:child_process"` sees the counting versions too
  let peaks = {};
  const sample = () => {
    for (const [key, value] of Object.entries(process.memoryUsage())) peaks[key] = Math.max(peaks[key] ?? 0, value);
  };
  setInterval(sample, 250).unref();
  process.on("SIGUSR2", () => {
    sample();
    fs.writeFileSync(`${file}.memory.json`, JSON.stringify(peaks));
    peaks = {};
    flush();
  });
  flush();
}
