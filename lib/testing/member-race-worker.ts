// A child process of lib/members' concurrency test (run with tsx, cwd = the project): opens the database in
// DATA_DIR, waits until `startAt` (epoch ms) so two workers start together, then runs one people operation. Inside
// its transaction, after the checks and before the write, it pauses `pauseMs`, so the other worker's operation
// overlaps it. Prints the result as one JSON line.
import { openDatabase } from "@/db";
import { changeMemberRole, leaveAccount } from "@/lib/members/manage";
import type { Role } from "@/db/schema";

type Job =
  | { op: "role"; membershipId: number; role: Role; actor: { id: number; name: string }; startAt: number; pauseMs: number }
  | { op: "leave"; accountId: number; actor: { id: number; name: string }; startAt: number; pauseMs: number };

const job = JSON.parse(process.argv[2]) as Job;
await openDatabase(); // open and migrate before the start signal
const pause = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, job.pauseMs);
while (Date.now() < job.startAt) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
const started = Date.now();
const result =
  job.op === "role"
    ? await changeMemberRole({ membershipId: job.membershipId, role: job.role, actor: job.actor }, { afterCheck: pause })
    : await leaveAccount({ accountId: job.accountId, actor: job.actor }, { afterCheck: pause });
process.stdout.write(JSON.stringify({ result, started, finished: Date.now() }) + "\n");
