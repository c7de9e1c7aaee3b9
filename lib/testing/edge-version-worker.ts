// A child process of lib/edge/notify.test.ts (run with tsx, cwd = the project), acting as a second console instance
// on the same database (DATABASE_URL, or the SQLite file in DATA_DIR): opens the database and prints `ready`; then
// for each line `drain <nodeId> <true|false>` on stdin it drains or undrains that node through the product path
// (setEdgeNodeDrain: one write transaction that moves the global version and, on PostgreSQL, notifies on commit)
// and prints the global version after it as one line. Exits when stdin ends.
import readline from "node:readline";
import { closeDb, openDatabase } from "@/db";
import { currentEdgeVersion } from "@/lib/edge/changes";
import { setEdgeNodeDrain } from "@/lib/edge/nodes";

await openDatabase();
process.stdout.write("ready\n");
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [command, id, value] = line.trim().split(/\s+/);
  if (command !== "drain") throw new Error(`unknown command: ${line}`);
  if (!(await setEdgeNodeDrain(Number(id), value === "true"))) throw new Error(`no node ${id}`);
  process.stdout.write(`${await currentEdgeVersion()}\n`);
}
await closeDb();
