import fs from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { dialect, execute, getDb, writeTransaction, first, one } from "@/db";
import { applications, domains } from "@/db/schema";
import { NOT_FOUND_MESSAGE as NOT_FOUND } from "@/lib/actions/messages";
import { recordAudit } from "@/lib/audit/record";
import { archiveDir } from "@/lib/config";
import { actorMay, auditActor, type Actor } from "@/lib/repositories/changes";
import { repositoryPath } from "@/lib/repositories/paths";
import type { ApplicationRow } from "@/db/types";
import { noteEdgeChange } from "@/lib/edge/changes";
import { log } from "@/lib/log";

// Application settings (docs/product.md §3.3, last paragraph): rename the display name; delete with typed confirmation, which
// frees its hostnames and archives its repository under `DATA_DIR/archive` (no longer served).

/** Longest display name of an application. */
export const APPLICATION_NAME_MAX = 100;

export type ApplicationSettingsResult =
  | { ok: true; application: ApplicationRow; freedHostnames?: string[]; archivedAs?: string | null }
  | { ok: false; code: "not_found" | "forbidden" | "invalid"; field?: "name" | "confirmation"; message: string };

/** Checks a new display name: trimmed, 1–100 characters, no control characters. Returns the trimmed name or a message. */
export function checkApplicationName(raw: string): { ok: true; name: string } | { ok: false; message: string } {
  const name = raw.trim();
  if (!name) return { ok: false, message: "Enter a name for the application." };
  if (name.length > APPLICATION_NAME_MAX) return { ok: false, message: `Use at most ${APPLICATION_NAME_MAX} characters.` };
  if (/[\u0000-\u001f\u007f]/.test(name)) return { ok: false, message: "The name cannot contain control characters." };
  return { ok: true, name };
}

/**
 * Renames the application's display name (owners and admins, "application.rename"; audit `application.rename`
 * with `{ from, to }`). The clone URL and repository are unchanged. Refusals come back as values.
 */
export async function renameApplication(params: { applicationId: number; actor: Actor; name: string }): Promise<ApplicationSettingsResult> {
  const checked = checkApplicationName(params.name);
  if (!checked.ok) return { ok: false, code: "invalid", field: "name", message: checked.message };
  return writeTransaction(async (tx): Promise<ApplicationSettingsResult> => {
    const app = await first(tx.select().from(applications).where(eq(applications.id, params.applicationId)));
    if (!app || !(await actorMay(app.accountId, params.actor, "account.read"))) return { ok: false, code: "not_found", message: NOT_FOUND };
    if (!(await actorMay(app.accountId, params.actor, "application.rename"))) {
      return { ok: false, code: "forbidden", message: "Only owners and admins can rename the application." };
    }
    if (app.name === checked.name) return { ok: true, application: app };
    const updated = await one(tx.update(applications).set({ name: checked.name }).where(eq(applications.id, app.id)).returning());
    await recordAudit(tx, {
      accountId: app.accountId,
      actor: auditActor(params.actor),
      action: "application.rename",
      targetType: "application",
      targetId: app.id,
      targetLabel: checked.name,
      data: { from: app.name, to: checked.name },
    });
    return { ok: true, application: updated };
  });
}

/** `YYYYMMDDTHHMMSSZ` of a time (no `:`, safe in folder names). */
function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** Test seams: `rename` moves a folder (default `fs.renameSync`); `afterDelete` runs in the transaction before commit. */
export type DeleteApplicationSeams = { rename?: (from: string, to: string) => void; afterDelete?: () => void };

/**
 * Deletes an application (owners and admins, "application.delete") when `confirmation` equals its display name:
 *   1. its repository is moved to `archiveDir()/<repoDir>-<YYYYMMDDTHHMMSSZ>` (one rename: no longer served);
 *   2. one transaction re-checks the actor's role and deletes the application row — environments, domains (their
 *      hostnames become free) and checks go by ON DELETE CASCADE — and writes the `application.delete` audit row.
 *      READ COMMITTED on PostgreSQL, with the application's row and its domains' rows locked first: run
 *      SERIALIZABLE, its reads across the cascade's tables made it the pivot other transactions aborted
 *      (docs/architecture.md "Creations and deletions under READ COMMITTED");
 *   3. if the transaction fails or refuses, the repository is moved back.
 * Refusals: `not_found`, `forbidden`, `invalid` (field `confirmation`). Unexpected failures are thrown after the
 * repository was moved back.
 */
export async function deleteApplication(
  params: { applicationId: number; actor: Actor; confirmation: string; now?: Date },
  seams: DeleteApplicationSeams = {},
): Promise<ApplicationSettingsResult> {
  const rename = seams.rename ?? fs.renameSync;
  const db = getDb();
  const app = await first(db.select().from(applications).where(eq(applications.id, params.applicationId)));
  if (!app || !(await actorMay(app.accountId, params.actor, "account.read"))) return { ok: false, code: "not_found", message: NOT_FOUND };
  if (!(await actorMay(app.accountId, params.actor, "application.delete"))) {
    return { ok: false, code: "forbidden", message: "Only owners and admins can delete the application." };
  }
  if (params.confirmation.trim() !== app.name) {
    return {
      ok: false,
      code: "invalid",
      field: "confirmation",
      message: `Type the application name exactly as shown (${app.name}) to confirm.`,
    };
  }

  const from = repositoryPath(app);
  const to = path.join(archiveDir(), `${app.repoDir.replace(/\.git$/, "")}-${stamp(params.now ?? new Date())}.git`);
  let moved = false;
  const moveBack = () => {
    if (!moved) return;
    try {
      rename(to, from);
    } catch (err) {
      log.error({ err }, `deleteApplication: could not move ${to} back to ${from}`);
    }
  };
  let result: ApplicationSettingsResult;
  try {
    if (fs.existsSync(from)) {
      fs.mkdirSync(archiveDir(), { recursive: true });
      rename(from, to);
      moved = true;
    }
    result = await writeTransaction(
      async (tx): Promise<ApplicationSettingsResult> => {
        // PostgreSQL, READ COMMITTED: lock the application's row, then its domains' rows (in id order, as the checker's
        // stores do), before reading them. A
        // concurrent insert of a domain or environment waits on the row's foreign key (and fails once it is gone), a
        // concurrent removal of a domain waits on its row, so `freed` is exactly what the cascade deletes.
        if (dialect() === "postgres") {
          await execute(sql`select 1 from ${applications} where ${applications.id} = ${app.id} for update`);
          await execute(sql`select 1 from ${domains} where ${domains.applicationId} = ${app.id} order by ${domains.id} for update`);
        }
        const row = await first(tx.select().from(applications).where(eq(applications.id, app.id)));
        if (!row || !(await actorMay(row.accountId, params.actor, "application.delete")))
          return { ok: false, code: "not_found", message: NOT_FOUND };
        const freed = (await tx.select({ hostname: domains.hostname }).from(domains).where(eq(domains.applicationId, row.id))).map(
          (d) => d.hostname,
        );
        await tx.delete(applications).where(eq(applications.id, row.id));
        await recordAudit(tx, {
          accountId: row.accountId,
          actor: auditActor(params.actor),
          action: "application.delete",
          targetType: "application",
          targetId: row.id,
          targetLabel: row.name,
          data: { freedHostnames: freed, archivedAs: moved ? path.basename(to) : null },
        });
        seams.afterDelete?.();
        return { ok: true, application: row, freedHostnames: freed, archivedAs: moved ? path.basename(to) : null };
      },
      { isolation: "read committed" },
    );
  } catch (err) {
    moveBack();
    throw err;
  }
  if (!result.ok) moveBack();
  else void noteEdgeChange({ applicationId: app.id }); // docs/edge.md "Versions": its environments' rows are marked removed
  return result;
}

/** Archived repository folders made by `deleteApplication`: `<32 hex>-<YYYYMMDDTHHMMSSZ>.git`. */
const ARCHIVED_NAME = /^([0-9a-f]{32})-\d{8}T\d{6}Z\.git$/;

/**
 * Start-up check (docs/product.md §7): a crash between archiving a repository and committing the deletion leaves an
 * application row whose repository sits in `archiveDir()`. Each such repository is moved back (newest archive
 * first). Returns the restored folder names. Missing archive folder → `[]`.
 */
export async function recoverInterruptedApplicationDeletions(): Promise<string[]> {
  let names: string[];
  try {
    names = fs.readdirSync(archiveDir());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const referenced = new Set((await getDb().select({ repoDir: applications.repoDir }).from(applications)).map((r) => r.repoDir));
  const restored: string[] = [];
  for (const name of names.sort().reverse()) {
    const match = ARCHIVED_NAME.exec(name);
    if (!match) continue;
    const repoDir = `${match[1]}.git`;
    const target = repositoryPath({ repoDir });
    if (!referenced.has(repoDir) || fs.existsSync(target)) continue;
    fs.renameSync(path.join(archiveDir(), name), target);
    restored.push(repoDir);
  }
  return restored;
}
