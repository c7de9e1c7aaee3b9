// A child process of the scheduler's two-worker test (run with tsx, cwd = the project): opens the database in
// DATA_DIR and loads the checker, prints `ready`, waits until the file `goFile` exists (so two workers start
// together), runs one sweep at `nowMs` with the settings' resolver (DNS_SERVERS), prints the result and its CPU time as one JSON line,
// and closes the database.
import fs from "node:fs";
import { closeDb, openDatabase } from "@/db";
import { sweepDueDomains } from "@/lib/dns/scheduler";

const job = JSON.parse(process.argv[2]) as { goFile: string; nowMs: number; concurrency: number; batchSize: number };
await openDatabase(); // open and migrate before the start signal
process.stdout.write("ready\n");
while (!fs.existsSync(job.goFile)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
const cpuBefore = process.cpuUsage();
const result = await sweepDueDomains({ now: new Date(job.nowMs), concurrency: job.concurrency, batchSize: job.batchSize, limit: 10_000 });
const cpu = process.cpuUsage(cpuBefore);
// cpuMs: this process's CPU time (user + system) during the sweep, for the bench's CPU accounting.
process.stdout.write(`${JSON.stringify({ ...result, cpuMs: Math.round((cpu.user + cpu.system) / 1000) })}\n`);
// Closed at once: a PostgreSQL pool's idle connections would keep the process alive for their idle timeout (10 s).
await closeDb();
