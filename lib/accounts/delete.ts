import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import { accounts, applications, domains, users } from "@/db/schema";
import { can } from "@/lib/auth/permissions";
import { settings } from "@/lib/config";
import { repositoryPath } from "@/lib/repositories/paths";
import { actorRole, forbidden, NOT_FOUND, type Actor, type Refusal } from "@/lib/members/common";
import { log } from "@/lib/log";

// Deleting an account (docs/product.md §3.2) with everything it owns, all or nothing across the database and the disk:
//   1. move each application's repository into a fresh staging folder `DATA_DIR/trash/<uuid>/` (rename is atomic);
//   2. one transaction re-checks the owner and deletes the account row — memberships, invitations, applications,
//      environments, domains (their hostnames become free), checks and audit rows go by ON DELETE CASCADE;
//   3. remove the staging folder.
// A failure in 1 or 2 moves the folders back and leaves every row. A crash leaves a staging folder, which the
// start-up check `recoverInterruptedDeletions` settles: repositories whose rows still exist go back, the rest go.

/** Folder of staged repositories of account deletions in progress: `DATA_DIR/trash`. */
export function trashDir(): string {
  return path.join(settings().dataDir, "trash");
}

export type DeleteAccountResult = { ok: true; accountName: string; applications: number; hostnames: string[] } | Refusal;

export type DeleteAccountSeams = {
  /** Moves a folder; default `fs.renameSync`. */
  rename?: (from: string, to: string) => void;
  /** Runs inside the transaction after the account row was deleted, before the commit. */
  afterDelete?: () => void;
};

/**
 * Deletes the account and everything it owns (owners only, "account.delete"), when `confirmName` equals the
 * account's name (typed confirmation). The deletion cannot be recorded in the account's own audit log (it goes
 * with the account): it is written to the server log. Refusals: `not_found` (not a member), `forbidden`,
 * `invalid` with field `confirm` (the typed name differs), `invalid` (an application was created meanwhile: try
 * again). Unexpected failures (disk, database) are thrown after every repository was moved back.
 */
export async function deleteAccount(
  params: { accountId: number; actor: Actor; confirmName: string },
  seams: DeleteAccountSeams = {},
): Promise<DeleteAccountResult> {
  const rename = seams.rename ?? fs.renameSync;
  const db = getDb();
  const actor = await actorRole(params.accountId, params.actor.id);
  if (!actor.ok) return actor;
  const account = await first(db.select().from(accounts).where(eq(accounts.id, params.accountId)));
  if (!account) return NOT_FOUND;
  if (!can(actor.role, "account.delete")) return forbidden(actor.role, "delete the account", "account.delete");
  if (params.confirmName.trim() !== account.name) {
    return {
      ok: false,
      code: "invalid",
      field: "confirm",
      message: `Type the account name exactly as shown (${account.name}) to confirm.`,
    };
  }

  const apps = await db.select({ repoDir: applications.repoDir }).from(applications).where(eq(applications.accountId, account.id));
  const staging = path.join(trashDir(), crypto.randomUUID());
  fs.mkdirSync(staging, { recursive: true });
  const moved: { from: string; to: string }[] = [];
  const restore = () => {
    for (const { from, to } of moved.reverse()) {
      try {
        rename(to, from);
      } catch (err) {
        log.error({ err }, `deleteAccount: could not move ${to} back to ${from}; the start-up check will`);
      }
    }
    removeQuietly(staging);
  };

  let result: DeleteAccountResult;
  try {
    for (const app of apps) {
      const from = repositoryPath(app);
      if (!fs.existsSync(from)) continue; // nothing on disk to keep consistent
      const to = path.join(staging, app.repoDir);
      rename(from, to);
      moved.push({ from, to });
    }
    result = await writeTransaction(async (tx): Promise<DeleteAccountResult> => {
      const current = await actorRole(account.id, params.actor.id);
      if (!current.ok) return current;
      if (!can(current.role, "account.delete")) return forbidden(current.role, "delete the account", "account.delete");
      const now = await tx.select({ repoDir: applications.repoDir }).from(applications).where(eq(applications.accountId, account.id));
      const staged = new Set(apps.map((a) => a.repoDir));
      if (now.some((a) => !staged.has(a.repoDir))) {
        return { ok: false, code: "invalid", message: "An application was created in this account meanwhile. Try again." };
      }
      const hostnames = await tx
        .select({ hostname: domains.hostname })
        .from(domains)
        .where(eq(domains.accountId, account.id))
        .orderBy(asc(domains.hostname));
      await tx.update(users).set({ lastAccountId: null }).where(eq(users.lastAccountId, account.id));
      await tx.delete(accounts).where(eq(accounts.id, account.id));
      seams.afterDelete?.();
      return { ok: true, accountName: account.name, applications: now.length, hostnames: hostnames.map((h) => h.hostname) };
    });
  } catch (err) {
    restore();
    throw err;
  }
  if (!result.ok) {
    restore();
    return result;
  }
  removeQuietly(staging);
  log.info(
    `[account] deleted account #${account.id} ${JSON.stringify(account.name)} by user #${params.actor.id} ${JSON.stringify(params.actor.name)}: ` +
      `${result.applications} application(s), hostnames freed: ${result.hostnames.join(", ") || "none"}`,
  );
  return result;
}

function removeQuietly(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (err) {
    log.error({ err }, `deleteAccount: could not remove ${dir}; the start-up check will`);
  }
}

/**
 * Start-up check (docs/product.md §7) for account deletions interrupted by a crash: in each staging folder under `trashDir()`
 * older than `olderThanMs` (default 60 s, so a deletion running in another process is left alone), a repository
 * whose application row still exists (the deletion did not commit) is moved back into place; everything else is
 * removed, then the staging folder. Returns what it did. Missing trash folder → nothing.
 */
export async function recoverInterruptedDeletions(options: { olderThanMs?: number; now?: number } = {}): Promise<{
  restored: string[];
  removed: string[];
}> {
  const olderThanMs = options.olderThanMs ?? 60_000;
  const now = options.now ?? Date.now();
  const out = { restored: [] as string[], removed: [] as string[] };
  let batches: string[];
  try {
    batches = fs.readdirSync(trashDir());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw err;
  }
  const referenced = new Set((await getDb().select({ repoDir: applications.repoDir }).from(applications)).map((r) => r.repoDir));
  for (const batch of batches) {
    const dir = path.join(trashDir(), batch);
    try {
      if (now - fs.lstatSync(dir).mtimeMs <= olderThanMs) continue;
    } catch {
      continue;
    }
    const entries = fs.lstatSync(dir).isDirectory() ? fs.readdirSync(dir) : [];
    for (const name of entries) {
      const target = referenced.has(name) ? repositoryPath({ repoDir: name }) : null;
      if (target && !fs.existsSync(target)) {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.renameSync(path.join(dir, name), target);
        out.restored.push(name);
      } else {
        fs.rmSync(path.join(dir, name), { recursive: true, force: true });
        out.removed.push(name);
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
