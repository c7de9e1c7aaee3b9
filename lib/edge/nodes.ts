import crypto from "node:crypto";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { InferSelectModel } from "drizzle-orm";
import { getDb, writeTransaction, first, one, affectedRows } from "@/db";
import { edgeNodes } from "@/db/schema";
import { hashToken } from "@/lib/tokens";
import { edgeVersionEvents } from "./events";
import { bumpEdgeVersion } from "./versions";

// Edge nodes and their tokens (docs/edge.md "Node tokens"): `en_` + 32 random bytes (base64url), shown once, stored
// as SHA-256 and looked up by that hash only. A revoked node keeps its row (history, its name stays taken).

/** An `edge_nodes` row, token hash included: server code only. */
export type EdgeNodeRow = InferSelectModel<typeof edgeNodes>;

/** Every node token starts with this (user API tokens start with `ec_`). */
export const EDGE_TOKEN_PREFIX = "en_";

/** The exact shape of a node token: `en_` + 43 base64url characters (32 bytes). */
export const EDGE_TOKEN_PATTERN = /^en_[A-Za-z0-9_-]{43}$/;

/** How many characters of a token are kept in clear (`en_AbCd`). */
export const EDGE_TOKEN_PREFIX_LENGTH = 7;

/** Node names: 1–63 characters, lower-case letters, digits and hyphens, not starting with a hyphen. */
export const EDGE_NODE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A node with no contact for longer than this (ms) is stale (a node reports at least every 60 s). */
export const EDGE_NODE_STALE_MS = 2 * 60_000;

/** Why a node could not be made: `invalid-name` (the rule above) or `duplicate-name` (case-insensitive). */
export class EdgeNodeNameError extends Error {
  readonly code: "invalid-name" | "duplicate-name";
  constructor(code: "invalid-name" | "duplicate-name", message: string) {
    super(message);
    this.name = "EdgeNodeNameError";
    this.code = code;
  }
}

/** A node as operators see it at /ops/edge: never the token or its hash. */
export type EdgeNodeView = {
  id: number;
  name: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  drain: boolean;
  lastContactAt: Date | null;
  address: string | null;
  httpPort: number | null;
  httpsPort: number | null;
  appliedVersion: number | null;
  /** Tool versions the node reported (`{"haproxy":"2.6.12"}`), null before its first report. */
  tools: Record<string, string> | null;
  lastError: string | null;
  /** Not revoked and no contact for more than 2 minutes (also true for a node that never reported after 2 minutes). */
  stale: boolean;
};

/** A new node token value: `en_` + 32 random bytes in base64url (46 characters). */
export function newEdgeTokenValue(): string {
  return EDGE_TOKEN_PREFIX + crypto.randomBytes(32).toString("base64url");
}

/**
 * Checks a node name (trimmed, lower-cased: names are compared ignoring case): returns it, or throws
 * {@link EdgeNodeNameError} `invalid-name` with a sentence saying the rule.
 */
export function checkEdgeNodeName(name: string): string {
  const trimmed = typeof name === "string" ? name.trim().toLowerCase() : "";
  if (!EDGE_NODE_NAME_PATTERN.test(trimmed)) {
    throw new EdgeNodeNameError(
      "invalid-name",
      "Use 1–63 characters for a node name: lower-case letters, digits and hyphens, starting with a letter or digit.",
    );
  }
  return trimmed;
}

/**
 * Creates an edge node named `name` (docs/edge.md "Node tokens"): checks the name (see {@link checkEdgeNodeName}),
 * refuses a name another node (revoked ones included) holds, ignoring case, with {@link EdgeNodeNameError}
 * `duplicate-name`. Stores the token's SHA-256 and its first 7 characters; returns the row and the token, which is
 * never stored and cannot be shown again. The caller writes the operator log.
 */
export async function createEdgeNode(name: string): Promise<{ node: EdgeNodeRow; token: string }> {
  const checked = checkEdgeNodeName(name);
  const token = newEdgeTokenValue();
  return writeTransaction(async (tx) => {
    const existing = await first(
      tx
        .select({ id: edgeNodes.id })
        .from(edgeNodes)
        .where(sql`lower(${edgeNodes.name}) = ${checked.toLowerCase()}`),
    );
    if (existing) throw new EdgeNodeNameError("duplicate-name", `A node named ${checked} exists already (revoked nodes keep their name).`);
    const node = await one(
      tx
        .insert(edgeNodes)
        .values({ name: checked, tokenHash: hashToken(token), prefix: token.slice(0, EDGE_TOKEN_PREFIX_LENGTH), createdAt: new Date() })
        .returning(),
    );
    return { node, token };
  });
}

/** Revokes node `id`'s token now (its next poll gets 401). False when there is no such node or it is already revoked. */
export async function revokeEdgeNode(id: number): Promise<boolean> {
  return writeTransaction(async (tx) => {
    const result = await tx
      .update(edgeNodes)
      .set({ revokedAt: new Date() })
      .where(and(eq(edgeNodes.id, id), isNull(edgeNodes.revokedAt)));
    return affectedRows(result) > 0;
  });
}

/**
 * Drains (`drain` true) or undrains node `id` (docs/edge.md "Desired state": `node.drain`). False when there is no
 * such node; idempotent otherwise. A change moves the global version (lib/edge/versions `bumpEdgeVersion`) and wakes
 * the long-polls, so the node hears it at once instead of at the end of its wait.
 */
export async function setEdgeNodeDrain(id: number, drain: boolean): Promise<boolean> {
  const result = await writeTransaction(async (tx) => {
    const row = await first(tx.select({ drain: edgeNodes.drain }).from(edgeNodes).where(eq(edgeNodes.id, id)));
    if (!row) return null;
    if (row.drain === drain) return { version: null };
    await tx.update(edgeNodes).set({ drain }).where(eq(edgeNodes.id, id));
    return { version: await bumpEdgeVersion(tx) };
  });
  if (result === null) return false;
  if (result.version !== null) edgeVersionEvents().emit("version", result.version);
  return true;
}

/** The node named `name` (ignoring case), or null. */
export async function findEdgeNodeByName(name: string): Promise<EdgeNodeRow | null> {
  const row = await first(
    getDb()
      .select()
      .from(edgeNodes)
      .where(sql`lower(${edgeNodes.name}) = ${String(name).trim().toLowerCase()}`),
  );
  return row ?? null;
}

/** Parses the `tools` column: a JSON object of string values, else null. */
function parseTools(text: string | null): Record<string, string> | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== "object" || Array.isArray(value)) return null;
    const tools: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === "string") tools[k] = v;
    return tools;
  } catch {
    return null;
  }
}

/** The operator's view of a row at `now` (see {@link EdgeNodeView}). */
export function edgeNodeView(row: EdgeNodeRow, now: Date = new Date()): EdgeNodeView {
  const since = row.lastContactAt ?? row.createdAt;
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
    drain: row.drain,
    lastContactAt: row.lastContactAt,
    address: row.address,
    httpPort: row.httpPort,
    httpsPort: row.httpsPort,
    appliedVersion: row.appliedVersion,
    tools: parseTools(row.tools),
    lastError: row.lastError,
    stale: !row.revokedAt && now.getTime() - since.getTime() > EDGE_NODE_STALE_MS,
  };
}

/** Every node, revoked ones included, by name. */
export async function listEdgeNodes(now: Date = new Date()): Promise<EdgeNodeView[]> {
  const rows = await getDb().select().from(edgeNodes).orderBy(asc(edgeNodes.name));
  return rows.map((row) => edgeNodeView(row, now));
}

/** Node `id` as operators see it (revoked ones included), or null when there is no such node. */
export async function getEdgeNode(id: number, now: Date = new Date()): Promise<EdgeNodeView | null> {
  const row = await first(getDb().select().from(edgeNodes).where(eq(edgeNodes.id, id)));
  return row ? edgeNodeView(row, now) : null;
}

/**
 * The active node for an `Authorization: Bearer en_…` header value (docs/edge.md "Desired state"), or null when the
 * header is missing, not a Bearer node token (a user's `ec_` token is refused here), unknown or revoked. Looks the
 * token up by its SHA-256 only.
 */
export async function authenticateEdgeNode(authorizationHeader: string | null): Promise<EdgeNodeRow | null> {
  if (typeof authorizationHeader !== "string") return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorizationHeader.trim());
  if (!match || !EDGE_TOKEN_PATTERN.test(match[1])) return null;
  const row = await first(
    getDb()
      .select()
      .from(edgeNodes)
      .where(eq(edgeNodes.tokenHash, hashToken(match[1]))),
  );
  if (!row || row.revokedAt) return null;
  return row;
}
