import "server-only";
import { formatUtc } from "@/components/ui/format";
import type { Access } from "@/lib/auth/access";
import { can } from "@/lib/auth/permissions";
import { listEdgeNodes } from "@/lib/edge/nodes";
import { environmentEdgeSecret, environmentServing, type EdgeNodeServing, type EnvironmentServing } from "@/lib/edge/serving";

// What an environment's page says about the edge (docs/product.md §8, "Operators"; docs/edge.md "Desired state"):
// which commit the edge serves and on how many nodes, or which tool refused what; the version of each module the
// edge runs beside the catalog's label; and, for owners and admins, the environment's X-Edge-Secret.

/** The serving line's tone: `ok` (served everywhere), `partial` (applying or some nodes behind), `failed`, `idle`. */
export type ServingTone = "ok" | "partial" | "failed" | "idle";

/** The first 7 characters of a commit id, as git abbreviates it. */
export const shortCommit = (commit: string) => commit.slice(0, 7);

/** `14:02 UTC` for today (UTC), else `2026-12-03 14:02 UTC`. */
export function appliedTime(at: Date, now: Date = new Date()): string {
  const full = formatUtc(at, { seconds: false });
  return full.slice(0, 10) === formatUtc(now).slice(0, 10) ? full.slice(11) : full;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** `(1 drained, 1 stale)`, or "" when every active node takes traffic and reports. */
function nodeNotes(serving: EnvironmentServing): string {
  const notes = [
    serving.nodesDrained ? `${serving.nodesDrained} drained` : "",
    serving.nodesStale ? `${serving.nodesStale} stale` : "",
  ].filter(Boolean);
  return notes.length ? ` (${notes.join(", ")})` : "";
}

/** The commit most of `nodes` serve, with how many serve it; null when none serves one. */
function commonCommit(nodes: EdgeNodeServing[]): { commit: string; nodes: number } | null {
  const counts = new Map<string, number>();
  for (const n of nodes) if (n.servingCommit) counts.set(n.servingCommit, (counts.get(n.servingCommit) ?? 0) + 1);
  const [top] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return top ? { commit: top[0], nodes: top[1] } : null;
}

/**
 * `edge-1 was revoked; it served 3f2a9c1 when last seen (14:02 UTC)`, for up to 3 revoked nodes that served the
 * environment; `2 revoked nodes` when none of them did (naming a node that never served it tells nothing).
 */
function revokedWords(revoked: EdgeNodeServing[], now: Date): string {
  const served = revoked.filter((n) => n.servingCommit);
  if (served.length === 0) return plural(revoked.length, "revoked node");
  const said = served.slice(0, 3).map((n) => {
    const seen = n.lastContactAt ? ` (${appliedTime(n.lastContactAt, now)})` : "";
    return `${n.node} was revoked; it served ${shortCommit(n.servingCommit!)} when last seen${seen}`;
  });
  if (revoked.length > said.length) said.push(`and ${plural(revoked.length - said.length, "more revoked node")}`);
  return said.join("; ");
}

/**
 * One sentence on what the edge serves for environment `name` (docs/product.md §8 "Operators"). Drained and stale
 * nodes count among the nodes (a drained node still serves; a stale one served this when last heard from) and are
 * named in brackets:
 * - `No edge nodes` when the console never had a node;
 * - `No active edge nodes (edge-1 was revoked; it served 3f2a9c1 when last seen (14:02 UTC))`: a revoked node keeps
 *   serving its last state;
 * - `Not served: <name> has no routable domain` when the desired state holds no commit for it;
 * - `<name> @ 9d1e2f0: varnishd refused it on edge-1: <message> (still serving 3f2a9c1)` for the newest refusal of
 *   the desired version;
 * - `<name> @ 3f2a9c1 on 1 of 1 node · applying 9d1e2f0…` while the nodes still serve the previous commit;
 * - `Not served yet: no edge node has reported` before any node reported, `Not served yet: <name> @ 9d1e2f0 is being
 *   applied` when nodes report but none serves it yet;
 * - `<name> @ 3f2a9c1 on 2 of 2 nodes (1 drained), applied 14:02 UTC` otherwise, `· applying on 1 more node` while
 *   others catch up.
 */
export function servingLine(
  name: string,
  serving: EnvironmentServing | undefined,
  now: Date = new Date(),
): { text: string; tone: ServingTone } {
  if (!serving || serving.nodesTotal === 0) {
    if (serving?.revoked.length) return { text: `No active edge nodes (${revokedWords(serving.revoked, now)})`, tone: "partial" };
    return { text: "No edge nodes", tone: "idle" };
  }
  if (!serving.desiredCommit) return { text: `Not served: ${name} has no routable domain`, tone: "idle" };
  const desired = shortCommit(serving.desiredCommit);
  const failure = [...serving.failures].sort((x, y) => y.at.getTime() - x.at.getTime())[0];
  if (failure) {
    const still = failure.servingCommit ? `still serving ${shortCommit(failure.servingCommit)}` : `serving nothing of ${name} yet`;
    return { text: `${name} @ ${desired}: ${failure.tool} refused it on ${failure.node}: ${failure.message} (${still})`, tone: "failed" };
  }
  const of = `of ${plural(serving.nodesTotal, "node")}${nodeNotes(serving)}`;
  if (serving.nodesServing === 0) {
    const previous = commonCommit(serving.applying);
    if (previous)
      return { text: `${name} @ ${shortCommit(previous.commit)} on ${previous.nodes} ${of} · applying ${desired}…`, tone: "partial" };
    if (serving.applying.every((n) => !n.lastContactAt)) return { text: "Not served yet: no edge node has reported", tone: "partial" };
    return { text: `Not served yet: ${name} @ ${desired} is being applied${nodeNotes(serving)}`, tone: "partial" };
  }
  const applied = serving.lastAppliedAt ? `, applied ${appliedTime(serving.lastAppliedAt, now)}` : "";
  const catchingUp = serving.applying.filter((n) => !n.stale).length;
  const more = catchingUp ? ` · applying on ${plural(catchingUp, "more node")}` : "";
  const everywhere = serving.nodesServing === serving.nodesTotal && serving.nodesStale === 0;
  return { text: `${name} @ ${desired} on ${serving.nodesServing} ${of}${applied}${more}`, tone: everywhere ? "ok" : "partial" };
}

/** The tool a node reports for each module of a proxy chain (docs/edge.md "Desired state": `tools`). */
const TOOL_OF_MODULE: Record<string, string> = { varnish: "varnish", modsecurity: "nginx", openresty: "nginx", nodejs: "node" };

/** One module of the environment's proxy chain: the catalog label and what the edge runs. */
export type ModuleVersion = { name: string; image: string; edge: string | null };

/** The `proxychain` of a `section.config.json` text ({name, image} pairs); empty when the text does not parse. */
export function proxyChainOf(config: string | null): { name: string; image: string }[] {
  if (!config) return [];
  try {
    const chain = (JSON.parse(config.replace(/^\uFEFF/, "")) as { proxychain?: unknown }).proxychain;
    if (!Array.isArray(chain)) return [];
    return chain
      .filter((m): m is { name: string; image?: unknown } => !!m && typeof (m as { name?: unknown }).name === "string")
      .map((m) => ({ name: m.name, image: typeof m.image === "string" ? m.image : m.name }));
  } catch {
    return [];
  }
}

/**
 * Each module of `chain` with the version the edge runs, from the tools the active nodes report: `varnish 7.1.1 on
 * the edge` (several versions while nodes differ: `nginx 1.22.1, 1.24.0 on the edge`), null before any report.
 */
export function moduleVersions(chain: { name: string; image: string }[], reports: Record<string, string>[]): ModuleVersion[] {
  return chain.map(({ name, image }) => {
    const tool = TOOL_OF_MODULE[name] ?? name;
    const versions = [...new Set(reports.map((tools) => tools[tool]).filter((v): v is string => typeof v === "string" && v !== ""))].sort();
    return { name, image, edge: versions.length ? `${tool} ${versions.join(", ")} on the edge` : null };
  });
}

/** Everything the environment's edge panel shows; `secret` is null for roles without "edge.secret.read". */
export type EdgePanelData = { serving: { text: string; tone: ServingTone }; modules: ModuleVersion[]; secret: string | null };

/**
 * Loads the edge panel of one environment for a member whose access was checked by the page (`requireEnvironment`):
 * the serving line, the module versions of `config`'s proxy chain, and the X-Edge-Secret only when the role holds
 * "edge.secret.read" (owners, admins and developers; the secret is made on first use).
 */
export async function loadEdgePanel(access: Pick<Access, "role">, environment: { id: number; name: string }, config: string | null) {
  const [servingMap, nodes] = await Promise.all([environmentServing([environment.id]), listEdgeNodes()]);
  const reports = nodes.filter((n) => !n.revokedAt).map((n) => n.tools ?? {});
  const secret = can(access.role, "edge.secret.read") ? await environmentEdgeSecret(environment.id) : null;
  const data: EdgePanelData = {
    serving: servingLine(environment.name, servingMap.get(environment.id)),
    modules: moduleVersions(proxyChainOf(config), reports),
    secret,
  };
  return data;
}
