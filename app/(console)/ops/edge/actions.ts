"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { NOT_FOUND_MESSAGE, UNEXPECTED_MESSAGE, userAction, type Refusal } from "@/lib/actions";
import { toId } from "@/lib/auth/access";
import { settings } from "@/lib/config";
import { createEdgeNode, EdgeNodeNameError, getEdgeNode, revokeEdgeNode, setEdgeNodeDrain } from "@/lib/edge/nodes";
import { lookupOperator } from "@/lib/ops/access";
import { recordOperatorEvent } from "@/lib/ops/events";

// Operator actions on edge nodes at /ops/edge (docs/product.md §8 "Operators", docs/edge.md "Node tokens"): add a
// node (its token shown once), revoke it after its name is typed, drain or undrain it. Operators are not account
// members, so each action is a user action that checks on every call that the caller is an operator (verified email
// in OPERATOR_EMAILS, read from the database now): anyone else gets the "not found" answer and nothing changes. Each
// change is written to the operator log (operator_events), as /ops does for "Verify now".

export type AddEdgeNodeState = {
  error?: string;
  fieldErrors?: { name?: string };
  values?: { name: string };
  /** Shown once: the new node's name, its token and the command that starts its agent. */
  created?: { name: string; token: string; command: string };
  at?: number;
};

export type EdgeNodeActionState = {
  error?: string;
  notice?: string;
  fieldErrors?: { confirmation?: string };
  values?: { confirmation?: string };
};

const refusedNode = (r: Refusal): EdgeNodeActionState => ({ error: r.message });

/** The command an operator runs on the new node (docs/edge.md "Parts": `npm run edge` with CONSOLE_URL and EDGE_NODE_TOKEN). */
function agentCommand(token: string): string {
  return `CONSOLE_URL=${settings().appUrl} EDGE_NODE_TOKEN=${token} npm run edge`;
}

/** The node named by the form's `nodeId` (malformed ids find nothing). */
async function findNode(nodeId: string) {
  const id = toId(nodeId);
  return id === null ? null : getEdgeNode(id);
}

/**
 * Adds an edge node: `name` (1–63 characters, `a-z`, `0-9` and `-`, unique ignoring case; lib/edge/nodes refuses
 * others with EdgeNodeNameError, shown next to the field). Answers the token once, with the agent's command line.
 */
export const addEdgeNodeAction = userAction({
  name: "ops add edge node",
  schema: z.object({ name: z.string().max(200).default("") }),
  fail: (r): AddEdgeNodeState => ({ error: r.message, values: { name: r.raw.name ?? "" } }),
  run: async ({ input }): Promise<AddEdgeNodeState> => {
    const operator = await lookupOperator();
    if (!operator) return { error: NOT_FOUND_MESSAGE };
    const name = input.name.trim();
    const values = { name: input.name };
    if (!name) return { fieldErrors: { name: "Enter a name for the node, e.g. edge-1." }, values };
    let created: Awaited<ReturnType<typeof createEdgeNode>>;
    try {
      created = await createEdgeNode(name);
    } catch (error) {
      // A bad or duplicate name (lib/edge/nodes says the rule): a message next to the field.
      if (error instanceof EdgeNodeNameError) return { fieldErrors: { name: error.message }, values };
      throw error;
    }
    await recordOperatorEvent({
      operator,
      action: "edge.node.add",
      data: { node: { id: created.node.id, name: created.node.name, prefix: created.node.prefix } },
    });
    revalidatePath("/ops/edge");
    return {
      created: { name: created.node.name, token: created.token, command: agentCommand(created.token) },
      values: { name: "" },
      at: Date.now(),
    };
  },
});

/**
 * Revokes a node's token after its name is typed (docs/edge.md "Node tokens": its next poll gets 401; it keeps
 * serving its last state and stops polling).
 */
export const revokeEdgeNodeAction = userAction({
  name: "ops revoke edge node",
  schema: z.object({ nodeId: z.string().max(20).default(""), confirmation: z.string().max(200).default("") }),
  fail: refusedNode,
  run: async ({ input }): Promise<EdgeNodeActionState> => {
    const operator = await lookupOperator();
    if (!operator) return { error: NOT_FOUND_MESSAGE };
    const node = await findNode(input.nodeId);
    if (!node) return { error: NOT_FOUND_MESSAGE };
    if (node.revokedAt) return { error: `${node.name} is already revoked.` };
    if (input.confirmation.trim() !== node.name)
      return { fieldErrors: { confirmation: `Type ${node.name} to confirm.` }, values: { confirmation: input.confirmation } };
    if (!(await revokeEdgeNode(node.id))) return { error: `${node.name} is already revoked.` };
    await recordOperatorEvent({ operator, action: "edge.node.revoke", data: { node: { id: node.id, name: node.name } } });
    revalidatePath("/ops/edge");
    return { notice: `${node.name} was revoked.` };
  },
});

/** Drains (`drain=true`) or undrains a node: operators take a drained node out of DNS; it keeps serving and reporting. */
export const setEdgeNodeDrainAction = userAction({
  name: "ops drain edge node",
  schema: z.object({ nodeId: z.string().max(20).default(""), drain: z.enum(["true", "false"]) }),
  fail: refusedNode,
  run: async ({ input }): Promise<EdgeNodeActionState> => {
    const operator = await lookupOperator();
    if (!operator) return { error: NOT_FOUND_MESSAGE };
    const node = await findNode(input.nodeId);
    if (!node) return { error: NOT_FOUND_MESSAGE };
    const drain = input.drain === "true";
    if (!(await setEdgeNodeDrain(node.id, drain))) return { error: UNEXPECTED_MESSAGE };
    await recordOperatorEvent({
      operator,
      action: drain ? "edge.node.drain" : "edge.node.undrain",
      data: { node: { id: node.id, name: node.name } },
    });
    revalidatePath("/ops/edge");
    return { notice: drain ? `${node.name} is drained.` : `${node.name} takes traffic again.` };
  },
});
