// A child process of lib/user-settings' concurrency test (run with tsx, cwd = the project): opens the database in
// DATA_DIR, waits until `startAt` (epoch ms) so two workers start together, then deletes one user. Inside its
// transaction, after the last-owner check and before the delete, it pauses `pauseMs`, so the other worker's delete
// overlaps it. Prints the result as one JSON line.
import { openDatabase } from "@/db";
import { deleteOwnUser } from "@/lib/user-settings/delete-user";

type Job = { userId: number; confirmation: string; startAt: number; pauseMs: number };

const job = JSON.parse(process.argv[2]) as Job;
await openDatabase(); // open and migrate before the start signal
const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, job.pauseMs);
while (Date.now() < job.startAt) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
const started = Date.now();
const result = await deleteOwnUser({ userId: job.userId, confirmation: job.confirmation }, { afterCheck: pause });
process.stdout.write(JSON.stringify({ result, started, finished: Date.now() }) + "\n");
