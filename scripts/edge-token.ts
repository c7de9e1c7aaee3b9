// `npm run edge:token -- add <name> | revoke <name> | drain <name> | undrain <name> | list` (docs/edge.md "Node
// tokens"): manages edge node tokens in the console's DATA_DIR. The logic is lib/edge/token-cli.ts.
import { closeDb, openDatabase } from "@/db";
import { runEdgeTokenCommand } from "@/lib/edge/token-cli";

await openDatabase();
try {
  const result = await runEdgeTokenCommand(process.argv.slice(2));
  if (result.stdout) process.stdout.write(`${result.stdout}\n`);
  if (result.stderr) process.stderr.write(`${result.stderr}\n`);
  process.exitCode = result.code;
} catch (error) {
  process.stderr.write(`edge:token failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await closeDb();
}
