import os from "node:os";
import { writeTransaction } from "@/db";
import { operatorEvents } from "@/db/schema";
import type { OperatorAction } from "@/lib/ops/events";
import { EdgeNodeNameError, createEdgeNode, findEdgeNodeByName, listEdgeNodes, revokeEdgeNode, setEdgeNodeDrain } from "./nodes";

// `npm run edge:token -- <command>` (docs/edge.md "Node tokens"): add, revoke, list, drain, undrain. The command's
// logic lives here so tests run it in-process; scripts/edge-token.ts prints its output and exits with its code.

/** What a command printed and its exit code: 0 done, 1 refused (unknown or duplicate name, already revoked), 2 usage. */
export type EdgeTokenCommandResult = { code: 0 | 1 | 2; stdout: string; stderr: string };

export const EDGE_TOKEN_USAGE = `Usage: npm run edge:token -- <command>
  add <name>       make a node and print its token once (name: 1-63 of a-z, 0-9, -)
  revoke <name>    end the node's token (its next poll gets 401)
  drain <name>     take the node out of DNS (it keeps serving and reporting)
  undrain <name>   put it back
  list             every node with its state`;

/** Who the operator log names for a command-line action: `cli:<system user>` (no console user). */
function cliOperator(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return "cli:unknown"; // no passwd entry
  }
}

/** One operator_events row for a command-line action (as /ops/edge writes for its buttons), naming no console user. */
async function audit(action: OperatorAction, node: { id: number; name: string; prefix?: string }): Promise<void> {
  await writeTransaction((tx) =>
    tx.insert(operatorEvents).values({ operatorUserId: null, operatorEmail: cliOperator(), action, data: { node, via: "cli" } }),
  );
}

const ok = (stdout: string): EdgeTokenCommandResult => ({ code: 0, stdout, stderr: "" });
const refused = (stderr: string, code: 1 | 2 = 1): EdgeTokenCommandResult => ({ code, stdout: "", stderr });

/**
 * Runs one edge:token command given its arguments (`["add", "edge-1"]`). Writes the operator log for add, revoke,
 * drain and undrain (operator `cli:<system user>`). Never throws for bad input: unknown commands, missing or bad
 * names, unknown or duplicate nodes come back as a message and a non-zero code.
 */
export async function runEdgeTokenCommand(args: readonly string[]): Promise<EdgeTokenCommandResult> {
  const [command, name, ...extra] = args;
  if (!command || command === "help" || command === "--help" || command === "-h")
    return command ? ok(EDGE_TOKEN_USAGE) : refused(EDGE_TOKEN_USAGE, 2);
  if (command === "list") {
    if (name !== undefined) return refused(`list takes no name.\n${EDGE_TOKEN_USAGE}`, 2);
    const nodes = await listEdgeNodes();
    if (nodes.length === 0) return ok("No edge nodes. Add one with: npm run edge:token -- add <name>");
    const lines = nodes.map((n) => {
      const state = n.revokedAt ? "revoked" : n.drain ? "drained" : n.stale ? "stale" : n.lastContactAt ? "serving" : "never seen";
      const contact = n.lastContactAt ? n.lastContactAt.toISOString() : "-";
      const where = n.address ? `${n.address}:${n.httpPort ?? "-"}/${n.httpsPort ?? "-"}` : "-";
      return [n.name, `${n.prefix}…`, state, `last contact ${contact}`, where, `version ${n.appliedVersion ?? "-"}`].join("  ");
    });
    return ok(lines.join("\n"));
  }
  if (!["add", "revoke", "drain", "undrain"].includes(command)) return refused(`Unknown command "${command}".\n${EDGE_TOKEN_USAGE}`, 2);
  if (!name) return refused(`${command} needs a node name, e.g. npm run edge:token -- ${command} edge-1`, 2);
  if (extra.length) return refused(`${command} takes one name; got also: ${extra.join(" ")}`, 2);

  if (command === "add") {
    try {
      const { node, token } = await createEdgeNode(name);
      await audit("edge.node.add", { id: node.id, name: node.name, prefix: node.prefix });
      return ok(
        [
          `Node ${node.name} added. Its token (shown once, store it now):`,
          token,
          `Start its agent with: CONSOLE_URL=<console URL> EDGE_NODE_TOKEN=${token} npm run edge`,
        ].join("\n"),
      );
    } catch (error) {
      if (error instanceof EdgeNodeNameError) return refused(error.message);
      throw error;
    }
  }
  const node = await findEdgeNodeByName(name);
  if (!node) return refused(`No edge node is named ${name}. See them with: npm run edge:token -- list`);
  if (command === "revoke") {
    if (!(await revokeEdgeNode(node.id))) return refused(`${node.name} is already revoked.`);
    await audit("edge.node.revoke", { id: node.id, name: node.name });
    return ok(`${node.name} revoked: its next poll gets 401; it keeps serving its last state.`);
  }
  if (node.revokedAt) return refused(`${node.name} is revoked; drain and undrain apply to active nodes.`);
  const drain = command === "drain";
  await setEdgeNodeDrain(node.id, drain);
  await audit(drain ? "edge.node.drain" : "edge.node.undrain", { id: node.id, name: node.name });
  return ok(drain ? `${node.name} is drained.` : `${node.name} takes traffic again.`);
}
