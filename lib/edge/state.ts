import { and, eq, gt, inArray, isNull, isNotNull, lte } from "drizzle-orm";
import { getDb } from "@/db";
import { applications, edgeEnvironmentVersions, environments } from "@/db/schema";
import { repositoryPath } from "@/lib/repositories/paths";
import { CatFileBatch, listBlobs, readTree } from "./git-batch";
import type { EdgeNodeRow } from "./nodes";
import { routableHostnames } from "./routable";
import { currentEdgeVersion } from "./changes";
import { edgeSettings, type EdgeSettings } from "./versions";
import { httpsStateFor, type EdgeAcmeChallenge, type EdgeCertificate } from "@/lib/https/edge";
import { purgesForNode, type EdgePurge } from "@/lib/purge/store";
import { log } from "@/lib/log";

// The desired state a node polls for (docs/edge.md "Desired state"): every routable environment whose version is
// greater than the node's `since`, with its commit, hostnames, secret, proxy chain, origins and module files, and
// the environments removed since then.

/** Module folders whose files are sent when the module is in the chain (docs/product.md §8). */
export const MODULE_FOLDERS = ["varnish", "modsecurity", "openresty", "nodejs"] as const;

/** Most bytes of files sent per environment (module files and custom error pages); further files are left out. */
export const MAX_FILES_BYTES = 1024 * 1024;

/** One environment of the desired state, as docs/edge.md "Desired state" shows it. */
export type EdgeEnvironmentState = {
  key: string;
  version: number;
  accountId: number;
  applicationId: number;
  environmentId: number;
  application: string;
  name: string;
  commit: string;
  hostnames: string[];
  secret: string;
  chain: string[];
  /** `environments.<Name>.origin` of section.config.json as written there; null when the file has no block for it. */
  origin: Record<string, unknown> | null;
  alternateOrigins: Record<string, unknown>;
  ipBlacklist: string[];
  files: Record<string, string>;
  /** HTTPS (docs/product.md §9, lib/https/edge.ts): certificates with their keys, HTTP-01 answers, the redirect flag. */
  certificates: EdgeCertificate[];
  acmeChallenges: EdgeAcmeChallenge[];
  redirectHttps: boolean;
};

/** The answer of `GET /api/edge/v1/state` (docs/edge.md "Desired state"). */
export type EdgeDesiredState = {
  version: number;
  full: boolean;
  node: { name: string; drain: boolean };
  settings: EdgeSettings;
  environments: EdgeEnvironmentState[];
  removed: number[];
  /** Purges this node has not reported yet (docs/edge.md "Purge"; lib/purge/store.ts). */
  purges: EdgePurge[];
};

/** What the payload cache keeps per (environment, version): everything but the hostnames and secret, read fresh. */
type Payload = Pick<EdgeEnvironmentState, "chain" | "origin" | "alternateOrigins" | "ipBlacklist" | "files">;

const CACHE_MAX_BYTES = 64 * 1024 * 1024;
const payloadCache = new Map<string, { payload: Payload; size: number }>();
let payloadCacheBytes = 0;

function cacheGet(key: string): Payload | undefined {
  const entry = payloadCache.get(key);
  if (!entry) return undefined;
  payloadCache.delete(key);
  payloadCache.set(key, entry);
  return entry.payload;
}

function cacheSet(key: string, payload: Payload): void {
  const size = Object.entries(payload.files).reduce((n, [p, c]) => n + p.length + c.length, 256);
  if (size > CACHE_MAX_BYTES) return;
  const old = payloadCache.get(key);
  if (old) payloadCacheBytes -= old.size;
  payloadCache.set(key, { payload, size });
  payloadCacheBytes += size;
  for (const [k, e] of payloadCache) {
    if (payloadCacheBytes <= CACHE_MAX_BYTES) break;
    payloadCache.delete(k);
    payloadCacheBytes -= e.size;
  }
}

/** Empties the payload cache (tests, benchmarks). */
export function clearEdgeStateCache(): void {
  payloadCache.clear();
  payloadCacheBytes = 0;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of a file, or null when it is binary (a NUL byte, or not UTF-8). */
function textOf(content: Buffer): string | null {
  if (content.includes(0)) return null;
  try {
    return utf8.decode(content).replace(/^\uFEFF/, "");
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === "object" && !Array.isArray(value);
}

/**
 * Reads the payload of environment `name` at `commit` through `batch`: the proxy chain and environment block of
 * section.config.json, and the text files under the chain's module folders and `custom_errors/*.html`, in path
 * order up to {@link MAX_FILES_BYTES} (binary files skipped).
 */
async function readPayload(batch: CatFileBatch, commit: string, name: string): Promise<Payload> {
  const payload: Payload = { chain: [], origin: null, alternateOrigins: {}, ipBlacklist: [], files: {} };
  const root = await readTree(batch, `${commit}^{tree}`);
  if (!root) return payload;
  const entry = (n: string) => root.find((item) => item.name === n);
  const configEntry = entry("section.config.json");
  if (configEntry && configEntry.mode !== "40000") {
    const object = await batch.read(configEntry.oid);
    const text = object ? textOf(object.content) : null;
    try {
      const config = text ? (JSON.parse(text) as unknown) : null;
      if (isRecord(config)) {
        if (Array.isArray(config.proxychain)) {
          payload.chain = config.proxychain
            .filter((m): m is { name: string } => isRecord(m) && typeof m.name === "string")
            .map((m) => m.name);
        }
        const block = isRecord(config.environments) ? config.environments[name] : undefined;
        if (isRecord(block)) {
          payload.origin = isRecord(block.origin) ? block.origin : null;
          payload.alternateOrigins = isRecord(block.alternate_origins) ? block.alternate_origins : {};
          payload.ipBlacklist = Array.isArray(block.ip_blacklist)
            ? block.ip_blacklist.filter((v): v is string => typeof v === "string")
            : [];
        }
      }
    } catch {
      // A commit whose section.config.json does not parse serves with the empty chain and no origin; the commit
      // checks refuse such a file, so this is a repository pushed around them.
    }
  }
  const blobs = new Map<string, string>();
  for (const folder of MODULE_FOLDERS) {
    const item = entry(folder);
    if (!payload.chain.includes(folder) || !item || item.mode !== "40000") continue;
    for (const [p, oid] of await listBlobs(batch, item.oid, `${folder}/`)) blobs.set(p, oid);
  }
  const errors = entry("custom_errors");
  if (errors && errors.mode === "40000") {
    for (const item of (await readTree(batch, errors.oid)) ?? []) {
      if ((item.mode === "100644" || item.mode === "100755") && item.name.toLowerCase().endsWith(".html"))
        blobs.set(`custom_errors/${item.name}`, item.oid);
    }
  }
  let bytes = 0;
  for (const p of [...blobs.keys()].sort()) {
    const object = await batch.read(blobs.get(p)!);
    if (!object) continue;
    const text = textOf(object.content);
    if (text === null) continue;
    if (bytes + object.content.length > MAX_FILES_BYTES) {
      log.warn(`edge: ${p} and later files of environment ${name} at ${commit.slice(0, 7)} left out: over ${MAX_FILES_BYTES} bytes`);
      break;
    }
    bytes += object.content.length;
    payload.files[p] = text;
  }
  return payload;
}

/** Runs `fn` over `items` with at most `limit` running at once. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

/**
 * The desired state for `node` after version `since` (docs/edge.md "Desired state"). `full` when `since` is 0 or
 * ahead of the console: then every routable environment. Otherwise the environments whose version is in
 * (since, version] and the ids removed in that range. An environment whose routable hostnames are gone since its
 * version was given is listed as removed. Reads files with one `git cat-file --batch` per repository (at most 4 at
 * once) and caches each environment's payload by (environment id, version). Holds no transaction.
 */
export async function buildDesiredState(
  node: Pick<EdgeNodeRow, "name" | "drain"> & { id?: number },
  since: number,
): Promise<EdgeDesiredState> {
  const globalVersion = await currentEdgeVersion();
  const full = since <= 0 || since > globalVersion;
  const db = getDb();
  const rows = await db
    .select({
      environmentId: edgeEnvironmentVersions.environmentId,
      version: edgeEnvironmentVersions.version,
      commit: edgeEnvironmentVersions.commit,
      removedAt: edgeEnvironmentVersions.removedAt,
    })
    .from(edgeEnvironmentVersions)
    .where(
      full
        ? isNull(edgeEnvironmentVersions.removedAt)
        : and(gt(edgeEnvironmentVersions.version, since), lte(edgeEnvironmentVersions.version, globalVersion)),
    );
  const removed = rows.filter((r) => r.removedAt !== null || r.commit === null).map((r) => r.environmentId);
  const live = rows.filter((r) => r.removedAt === null && r.commit !== null);
  const version = rows.reduce((max, r) => Math.max(max, r.version), globalVersion);

  const details = new Map<
    number,
    { accountId: number; applicationId: number; name: string; secret: string | null; application: string; repoDir: string }
  >();
  const ids = live.map((r) => r.environmentId);
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = await db
      .select({
        id: environments.id,
        accountId: environments.accountId,
        applicationId: environments.applicationId,
        name: environments.name,
        secret: environments.edgeSecret,
        application: applications.name,
        repoDir: applications.repoDir,
      })
      .from(environments)
      .innerJoin(applications, eq(applications.id, environments.applicationId))
      .where(and(inArray(environments.id, ids.slice(i, i + 500)), isNotNull(environments.edgeSecret)));
    for (const d of chunk) details.set(d.id, d);
  }
  const hostnames = await routableHostnames(ids);
  const httpsState = await httpsStateFor(ids);

  const out: EdgeEnvironmentState[] = [];
  const byRepo = new Map<string, typeof live>();
  for (const row of live) {
    const d = details.get(row.environmentId);
    if (!d || !d.secret || (hostnames.get(row.environmentId) ?? []).length === 0) {
      removed.push(row.environmentId); // gone or no longer routable since its version: the next reconcile records it
      continue;
    }
    const list = byRepo.get(d.repoDir) ?? [];
    list.push(row);
    byRepo.set(d.repoDir, list);
  }
  await eachLimited([...byRepo.entries()], 4, async ([repoDir, envRows]) => {
    let batch: CatFileBatch | null = null;
    try {
      for (const row of envRows) {
        const d = details.get(row.environmentId)!;
        const key = `${row.environmentId}:${row.version}`;
        let payload = cacheGet(key);
        if (!payload) {
          batch ??= new CatFileBatch(repositoryPath({ repoDir }));
          payload = await readPayload(batch, row.commit!, d.name);
          cacheSet(key, payload);
        }
        out.push({
          key: `e${row.environmentId}`,
          version: row.version,
          accountId: d.accountId,
          applicationId: d.applicationId,
          environmentId: row.environmentId,
          application: d.application,
          name: d.name,
          commit: row.commit!,
          hostnames: hostnames.get(row.environmentId) ?? [],
          secret: d.secret!,
          ...payload,
          ...(httpsState.get(row.environmentId) ?? { certificates: [], acmeChallenges: [], redirectHttps: false }),
        });
      }
    } catch (error) {
      // One unreadable repository must not stop every node: its environments are left out of this answer.
      log.error({ err: error }, `edge: cannot read the files of repository ${repoDir} for the desired state`);
    } finally {
      (batch as CatFileBatch | null)?.close();
    }
  });
  out.sort((a, b) => a.environmentId - b.environmentId);
  return {
    version,
    full,
    node: { name: node.name, drain: node.drain },
    settings: edgeSettings(),
    environments: out,
    removed: full ? [] : [...new Set(removed)].sort((a, b) => a - b),
    purges: node.id === undefined ? [] : await purgesForNode(node.id),
  };
}
