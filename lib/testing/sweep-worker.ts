// A child process of the scheduler's two-worker test (run with tsx, cwd = the project): opens the database in
// DATA_DIR and loads the checker, prints `ready`, waits until the file `goFile` exists (so two workers start
// together), runs one sweep at `nowMs` with the settings' resolver (DNS_SERVERS), and prints the result as one JSON line.
import fs from "node:fs";
import { openDatabase } from "@/db";
import { sweepDueDomains } from "@/lib/dns/scheduler";

const job = JSON.parse(process.argv[2]) as { goFile: string; nowMs: number; concurrency: number; batchSize: number };
await openDatabase(); // open and migrate before the start signal
process.stdout.write("ready\n");
while (!fs.existsSync(job.goFile)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
const result = await sweepDueDomains({ now: new Date(job.nowMs), concurrency: job.concurrency, batchSize: job.batchSize, limit: 10_000 });
process.stdout.write(`${JSON.stringify(result)}\n`);
