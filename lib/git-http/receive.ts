import fs from "node:fs";
import path from "node:path";
import { and, eq, sql } from "drizzle-orm";
import { getDb, writeTransaction, first, one } from "@/db";
import { environments } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { checkEdgeCommit } from "@/lib/edge/checks";
import { GitError, runGit } from "@/lib/git";
import { formatSectionConfigIssues, parseSectionConfigBytes } from "@/lib/section-config/schema";
import { classifyRef, isZeroId, type RefUpdate } from "./push-policy";
import { noteEdgeChange } from "@/lib/edge/changes";

// The checks of a push before any ref moves (githooks(5) pre-receive) and what an accepted push records
// (post-receive): docs/product.md §3.6. git reads run with the quarantine environment, where the pushed objects live until
// git-receive-pack(1) accepts them (git-receive-pack(1) "QUARANTINE ENVIRONMENT").

/** Largest `section.config.json` read from a push (bytes); larger files are refused without being read. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Where the pushed objects are during pre-receive: the quarantine variables git gives its hooks. */
export type QuarantinePaths = { objectDirectory?: string; alternateObjectDirectories?: string; quarantinePath?: string };

/** Outcome of the pre-receive checks: `messages` are printed by `git push` as `remote: …` lines. */
export type PushCheck = { ok: boolean; messages: string[] };

function realpathOrResolve(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * The environment for git reads of pushed objects: GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES and
 * GIT_QUARANTINE_PATH as the hook received them, each required to lie inside `<repoPath>/objects` (relative paths
 * are taken from the repository, as the hook runs there). Null when one points elsewhere.
 */
export function quarantineEnv(repoPath: string, paths: QuarantinePaths): Record<string, string> | null {
  const objects = realpathOrResolve(path.join(repoPath, "objects"));
  const inside = (candidate: string): string | null => {
    const abs = realpathOrResolve(path.resolve(repoPath, candidate));
    const rel = path.relative(objects, abs);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel)) ? abs : null;
  };
  const env: Record<string, string> = {};
  if (paths.objectDirectory) {
    const dir = inside(paths.objectDirectory);
    if (!dir) return null;
    env.GIT_OBJECT_DIRECTORY = dir;
  }
  if (paths.alternateObjectDirectories) {
    const dirs = paths.alternateObjectDirectories.split(path.delimiter).filter(Boolean).map(inside);
    if (dirs.some((d) => d === null)) return null;
    env.GIT_ALTERNATE_OBJECT_DIRECTORIES = dirs.join(path.delimiter);
  }
  if (paths.quarantinePath) {
    const dir = inside(paths.quarantinePath);
    if (!dir) return null;
    env.GIT_QUARANTINE_PATH = dir;
  }
  return env;
}

/** The application's environment names (exact case). */
export async function environmentNames(applicationId: number): Promise<string[]> {
  const rows = await getDb().select({ name: environments.name }).from(environments).where(eq(environments.applicationId, applicationId));
  return rows.map((row) => row.name);
}

/**
 * `section.config.json` of commit `oid` (its bytes: the validator decides whether they are UTF-8), or an error
 * sentence. Reads through `--batch-check` first (size cap).
 */
async function readConfigAt(repoPath: string, oid: string, env: Record<string, string>): Promise<{ bytes: Buffer } | { error: string }> {
  const spec = `${oid}:section.config.json\n`;
  const check = (await runGit(["cat-file", "--batch-check"], { gitDir: repoPath, env, input: spec })).toString("utf8").trim();
  const match = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(check);
  if (!match) return { error: "section.config.json is missing: every environment branch needs one (docs/product.md §5)" };
  if (match[2] !== "blob") return { error: "section.config.json must be a file" };
  if (Number(match[3]) > MAX_CONFIG_BYTES) return { error: `section.config.json is larger than ${MAX_CONFIG_BYTES / 1024} KiB` };
  return { bytes: await runGit(["cat-file", "blob", match[1]], { gitDir: repoPath, env }) };
}

/** True when `oldOid` is an ancestor of `newOid` (git-merge-base(1) `--is-ancestor`: exit 0 yes, 1 no). */
async function isFastForward(repoPath: string, oldOid: string, newOid: string, env: Record<string, string>): Promise<boolean> {
  try {
    await runGit(["merge-base", "--is-ancestor", oldOid, newOid], { gitDir: repoPath, env });
    return true;
  } catch (err) {
    if (err instanceof GitError && err.exitCode === 1) return false;
    throw err;
  }
}

/** True when git-check-ref-format(1) `--branch` accepts `name` (names here match `^[A-Za-z][A-Za-z0-9]*$`, never an option). */
async function gitAcceptsBranchName(repoPath: string, name: string): Promise<boolean> {
  try {
    await runGit(["check-ref-format", "--branch", name], { gitDir: repoPath });
    return true;
  } catch (err) {
    if (err instanceof GitError && err.exitCode !== null) return false;
    throw err;
  }
}

/**
 * The pre-receive rules of docs/product.md §3.6 for one push (all refs at once; git applies none when any is refused):
 * - an environment branch (existing, or a new branch named like an environment, `^[A-Za-z][A-Za-z0-9]*$`, accepted
 *   by git-check-ref-format(1) `--branch`) must hold a `section.config.json` that `parseSectionConfigBytes` accepts
 *   (UTF-8, no key twice in one object, valid, with the block of that environment) and module files the edge's
 *   checks accept (lib/edge/checks `checkEdgeCommit`); an existing one may not be deleted or rewritten (non-fast-forward);
 * - a new branch differing only in case from an environment (or from another branch of the same push) is refused;
 * - other branches (`feature/x`) and tags are accepted unchecked; refs outside refs/heads and refs/tags are refused.
 * `objectEnv` is {@link quarantineEnv}'s result. Rejects only on unexpected git failures.
 */
export async function checkPush(params: {
  repoPath: string;
  environments: readonly string[];
  updates: readonly RefUpdate[];
  objectEnv: Record<string, string>;
}): Promise<PushCheck> {
  const { repoPath, objectEnv } = params;
  const problems: string[] = [];
  const notes: string[] = [];
  const newEnvironments = new Map<string, string>(); // lower-case → name, within this push
  for (const update of params.updates) {
    const kind = classifyRef(update.ref, params.environments);
    const deleting = isZeroId(update.newOid);
    const creating = isZeroId(update.oldOid);
    if (kind.kind === "tag" || kind.kind === "branch") continue;
    if (kind.kind === "reserved") {
      if (deleting && kind.deletable) continue; // removing an ambiguous branch or tag made before the rule
      problems.push(`${update.ref}: refused: ${kind.reason}`);
      continue;
    }
    if (kind.kind === "unsupported") {
      problems.push(`${update.ref}: only branches (refs/heads/…) and tags (refs/tags/…) can be pushed`);
      continue;
    }
    if (kind.kind === "case-conflict") {
      if (!deleting)
        problems.push(
          `${kind.branch}: differs only in case from the environment "${kind.environment}"; push to "${kind.environment}" or choose another name`,
        );
      continue;
    }
    const { branch, existing } = kind;
    if (existing === null) {
      if (deleting) continue; // an environment-named branch that is no environment: a plain branch going away
      if (!(await gitAcceptsBranchName(repoPath, branch))) continue; // not a name git allows for a branch: plain
      const twin = newEnvironments.get(branch.toLowerCase());
      if (twin) {
        problems.push(`${branch}: differs only in case from "${twin}", also in this push`);
        continue;
      }
      newEnvironments.set(branch.toLowerCase(), branch);
    } else if (deleting) {
      problems.push(
        `${branch}: the branch of the environment "${branch}" cannot be deleted by a push${branch === "Production" ? "" : " (delete the environment in the console; its branch is kept as a tag)"}`,
      );
      continue;
    } else if (!creating && !(await isFastForward(repoPath, update.oldOid, update.newOid, objectEnv))) {
      problems.push(
        `${branch}: non-fast-forward update refused: the branch of an environment cannot be rewritten; fetch, merge or rebase your work on it, and push without --force`,
      );
      continue;
    }

    const config = await readConfigAt(repoPath, update.newOid, objectEnv);
    if ("error" in config) {
      problems.push(`${branch}: ${config.error}`);
      continue;
    }
    const parsed = parseSectionConfigBytes(config.bytes, { environment: branch });
    if (!parsed.ok) {
      for (const line of formatSectionConfigIssues(parsed.issues)) problems.push(`${branch}: ${line}`);
      continue;
    }
    // The edge's own policy and tools over the module files (docs/edge.md "Checks on the console").
    const edge = await checkEdgeCommit({
      repoPath,
      rev: update.newOid,
      chain: parsed.config.proxychain.map((m) => m.name),
      env: objectEnv,
    });
    if (!edge.ok) {
      problems.push(`${branch}: ${edge.message}`);
      continue;
    }
    notes.push(`${branch}: section.config.json is valid`);
  }
  if (problems.length > 0) {
    return { ok: false, messages: ["Edge Console refused this push; no branch was changed:", ...problems.map((p) => `  ${p}`)] };
  }
  return { ok: true, messages: notes.map((n) => `Edge Console: ${n}`) };
}

/**
 * After git moved the refs (githooks(5) post-receive): creates an environment (no domains) for each pushed
 * environment-named branch that has none yet, and writes one `git.push` audit row (refs, old → new, the token's
 * prefix; actor = the token's user) plus `environment.create` rows, in one transaction. Returns the created names
 * and lines for `git push` to show.
 */
export async function recordPush(params: {
  application: { id: number; accountId: number; name: string };
  actor: { id: number; name: string };
  tokenPrefix: string;
  updates: readonly RefUpdate[];
  /** Base of the console's URLs (APP_URL) for the lines shown after the push. */
  appUrl: string;
}): Promise<{ created: string[]; messages: string[] }> {
  const { application, actor } = params;
  const created = await writeTransaction(async (tx) => {
    const names: string[] = [];
    for (const update of params.updates) {
      if (isZeroId(update.newOid)) continue;
      const current = (
        await tx.select({ name: environments.name }).from(environments).where(eq(environments.applicationId, application.id))
      ).map((r) => r.name);
      const kind = classifyRef(update.ref, current);
      if (kind.kind !== "environment" || kind.existing !== null) continue;
      const taken = await first(
        tx
          .select({ id: environments.id })
          .from(environments)
          .where(and(eq(environments.applicationId, application.id), sql`lower(${environments.name}) = lower(${kind.branch})`)),
      );
      if (taken) continue;
      const env = await one(
        tx.insert(environments).values({ accountId: application.accountId, applicationId: application.id, name: kind.branch }).returning(),
      );
      await recordAudit(tx, {
        accountId: application.accountId,
        actor,
        action: "environment.create",
        targetType: "environment",
        targetId: env.id,
        targetLabel: `${application.name} / ${env.name}`,
        data: { via: "git push", branch: env.name, applicationId: application.id },
      });
      names.push(env.name);
    }
    await recordAudit(tx, {
      accountId: application.accountId,
      actor,
      action: "git.push",
      targetType: "application",
      targetId: application.id,
      targetLabel: application.name,
      data: {
        refs: params.updates.map((u) => ({
          ref: u.ref,
          old: isZeroId(u.oldOid) ? null : u.oldOid,
          new: isZeroId(u.newOid) ? null : u.newOid,
        })),
        token: params.tokenPrefix,
        ...(names.length > 0 ? { environmentsCreated: names } : {}),
      },
    });
    return names;
  });
  void noteEdgeChange({ applicationId: application.id }); // docs/edge.md "Versions": pushes move what the edge serves
  const base = `${params.appUrl}/account/${application.accountId}/application/${application.id}`;
  return {
    created,
    messages: created.map(
      (name) => `Edge Console: environment "${name}" created (no domains yet): ${base}/environment/${encodeURIComponent(name)}`,
    ),
  };
}
