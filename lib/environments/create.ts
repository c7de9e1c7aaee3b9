import { and, eq, sql } from "drizzle-orm";
import { getDb, writeTransaction, first, one, isForeignKeyViolation, isUniqueViolation } from "@/db";
import { applications, environments } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { readBlobAt, writeTreeWithChanges } from "@/lib/git/commit";
import { deleteBranch, listBranches, resolveBranch, ZERO_OID } from "@/lib/git/refs";
import { actorMay, auditActor, commitAuthor, type Actor } from "@/lib/repositories/changes";
import { repositoryPath } from "@/lib/repositories/paths";
import { decodeUtf8Text } from "@/lib/section-config/encoding";
import { detectJsonLayout, formatJson } from "@/lib/section-config/merge3";
import { parseSectionConfigBytes, parseSectionConfigJson } from "@/lib/section-config/schema";
import { commitToEnvironment, CONFIG_FILE } from "./commit";
import { checkEnvironmentName } from "./names";
import type { ApplicationRow, DomainRow, EnvironmentRow } from "@/db/types";
import { noteEdgeChange } from "@/lib/edge/changes";
import {
  accountClaimElsewhere,
  claimedElsewhereMessage,
  HostnameRace,
  hostnameHolder,
  insertDomainOrClaim,
  lockHostname,
  retryOnHostnameRace,
  type DomainClaimRow,
} from "@/lib/edge/claims";
import { log } from "@/lib/log";

export type CreateEnvironmentInput = {
  application: Pick<ApplicationRow, "id" | "accountId" | "repoDir">;
  actor: Actor;
  /** As typed in "Environment name". */
  name: string;
  /** Name of the source environment (its branch is the new branch's start). */
  source: string;
  /** Already normalised by lib/hostname (A-label, Unicode, apex or not). */
  hostname: { hostname: string; unicode: string; isApex: boolean };
  /** The hostname already resolves to the edge: it must prove ownership by TXT before going live (docs/product.md §3.5). */
  ownershipRequired: boolean;
};

export type CreateEnvironmentField = "name" | "source" | "hostname";

/** A new environment holds its hostname (`domain`), or — another account holding it — a claim on it (`claim`). */
export type CreateEnvironmentResult =
  | { ok: true; environment: EnvironmentRow; domain: DomainRow | null; claim: DomainClaimRow | null; commit: string }
  | { ok: false; code: "invalid" | "taken" | "not_found"; field: CreateEnvironmentField; message: string };

const fail = (code: "invalid" | "taken" | "not_found", field: CreateEnvironmentField, message: string) =>
  ({ ok: false, code, field, message }) as const;

function nameTaken(name: string) {
  return fail("taken", "name", `This application already has an environment named “${name}” (names are compared ignoring case).`);
}

/** The account already claims the hostname for another environment (docs/product.md §3.5): one claim at a time. */
function hostnameClaimed(unicode: string) {
  return fail("taken", "hostname", claimedElsewhereMessage(unicode));
}

/** The account holds the hostname already: a claim cannot settle that (docs/product.md §3.5). */
function hostnameTaken(unicode: string) {
  return fail(
    "taken",
    "hostname",
    `${unicode} is already used by an application of this account. Remove it there first, or choose another.`,
  );
}

/**
 * Creates an environment (docs/product.md §3.4): checks the name (lib/environments/names), its uniqueness in the application
 * ignoring case, the source environment and the hostname's platform-wide uniqueness; then makes branch `<name>`
 * from the source branch's head with ONE validated commit (author: the actor) whose `section.config.json` gains
 * `environments.<name>`, a copy of the source's block; then, in one transaction, the environment row, its domain
 * (pending, random verification token) — or, when another account holds the hostname, a claim on it (lib/edge/claims
 * `insertDomainOrClaim`, docs/product.md §3.5) — and the `environment.create` audit row. A hostname this account
 * holds already is refused ("Remove it there first").
 *
 * Order and failure: the branch is created first (git-update-ref(1) with the zero old value: it never overwrites),
 * the rows second. If the transaction fails — the name or hostname taken by a concurrent creation (UNIQUE
 * constraints), the actor's role gone, a database error — the branch is deleted again (compare-and-swap on the
 * commit just made) before answering. A crash between the two leaves at most a branch without a row: a plain
 * branch (docs/product.md §3.6 allows those), never a row without its branch, so no start-up repair is needed; a later
 * creation with that name is refused with a message saying the repository already has such a branch.
 * Expected failures come back as `{ ok: false, code, field, message }`; repository/database failures are thrown,
 * unless the application was deleted (or the actor's right removed) meanwhile: then `not_found`, as if that came first.
 */
export async function createEnvironment(input: CreateEnvironmentInput): Promise<CreateEnvironmentResult> {
  const { application: app, actor } = input;
  // The application deleted while this ran (another request, another instance): its repository moved to the archive
  // mid-way makes git fail, its rows gone make the source "missing". Either way the answer is the deletion's.
  const gone = () => fail("not_found", "name", "Not found.");
  try {
    const result = await createEnvironmentSteps(input);
    if (!result.ok && result.code !== "taken" && !(await applicationOpenTo(app.id, app.accountId, actor))) return gone();
    return result;
  } catch (err) {
    if (!(await applicationOpenTo(app.id, app.accountId, actor))) return gone();
    throw err;
  }
}

async function createEnvironmentSteps(input: CreateEnvironmentInput): Promise<CreateEnvironmentResult> {
  const checked = await checkEnvironmentName(input.name);
  if (!checked.ok) return fail("invalid", "name", checked.message);
  const name = checked.name;
  const db = getDb();
  const app = input.application;
  const byName = (n: string) =>
    first(
      db
        .select()
        .from(environments)
        .where(and(eq(environments.applicationId, app.id), sql`lower(${environments.name}) = lower(${n})`)),
    );
  if (await byName(name)) return nameTaken(name);
  const source = await byName(input.source);
  if (!source) return fail("not_found", "source", "Choose the environment to copy from.");
  if ((await hostnameHolder(input.hostname.hostname, app.accountId)) === "same-account") return hostnameTaken(input.hostname.unicode);
  if (await accountClaimElsewhere(input.hostname.hostname, app.accountId)) return hostnameClaimed(input.hostname.unicode);

  const repoPath = repositoryPath(app);
  const clash = (await listBranches(repoPath)).find((b) => b.toLowerCase() === name.toLowerCase());
  if (clash) {
    return fail(
      "taken",
      "name",
      `The repository already has a branch named “${clash}” that is not an environment. Choose another name, or delete that branch with git first.`,
    );
  }
  const sourceHead = await resolveBranch(repoPath, source.name);
  const sourceFile = sourceHead ? await readBlobAt(repoPath, sourceHead, CONFIG_FILE) : null;
  if (!sourceHead || !sourceFile) return fail("invalid", "source", `The ${source.name} branch has no ${CONFIG_FILE} to copy.`);
  const sourceConfig = parseSectionConfigBytes(sourceFile.content, { environment: source.name });
  const decoded = decodeUtf8Text(sourceFile.content);
  const json = decoded.ok ? parseSectionConfigJson(decoded.text) : null;
  if (!sourceConfig.ok || !decoded.ok || !json?.ok) {
    const issue = sourceConfig.ok ? { path: "", message: "cannot be read" } : sourceConfig.issues[0];
    return fail(
      "invalid",
      "source",
      `The configuration of ${source.name} is not valid (${issue.path || CONFIG_FILE}: ${issue.message}); fix it first.`,
    );
  }

  // Copy the block from the file's own JSON (not the parsed copy), so every other byte of meaning is kept, and
  // write it the way the file was written (indentation, line endings, BOM), so the diff shows only the new block.
  const raw = json.value as { environments: Record<string, unknown> };
  raw.environments[name] = structuredClone(raw.environments[source.name]);
  const content = formatJson(raw, detectJsonLayout(decoded.text, decoded.bom));
  const tree = await writeTreeWithChanges(repoPath, sourceHead, [
    { path: CONFIG_FILE, content, mode: sourceFile.mode === "100755" ? "100755" : "100644" },
  ]);
  const committed = await commitToEnvironment({
    repoPath,
    environment: name,
    expectedHead: ZERO_OID,
    tree,
    parents: [sourceHead],
    message: `Create environment ${name} from ${source.name}`,
    author: await commitAuthor(input.actor),
  });
  if (!committed.ok) {
    if (committed.code === "moved") return nameTaken(name); // a concurrent creation made the branch first
    const issue = committed.issues[0];
    return fail("invalid", "name", `The new configuration would be invalid: ${issue.path ? `${issue.path}: ` : ""}${issue.message}`);
  }

  try {
    const rows = await retryOnHostnameRace(() => writeRows(input, name, source.name, committed.commit));
    if (!rows.ok) await deleteBranch(repoPath, name, committed.commit, "undo: environment not created");
    return rows;
  } catch (err) {
    await deleteBranch(repoPath, name, committed.commit, "undo: environment not created").catch((undo) =>
      log.error({ err: undo }, `createEnvironment: could not delete branch ${name} of ${repoPath}`),
    );
    if (isUniqueViolation(err, "environments")) return nameTaken(name);
    if (isUniqueViolation(err, "domains.hostname")) return hostnameTaken(input.hostname.unicode);
    // The application (or the actor's role) deleted after this transaction's checks read it: on PostgreSQL's READ
    // COMMITTED the insert meets the delete at its foreign key. Answered as if the deletion had come first.
    if (isForeignKeyViolation(err) && !(await applicationOpenTo(app.id, app.accountId, input.actor)))
      return fail("not_found", "name", "Not found.");
    throw err;
  }
}

/** Whether the application still exists and the actor may still manage its environments. */
async function applicationOpenTo(applicationId: number, accountId: number, actor: Actor): Promise<boolean> {
  const row = await first(getDb().select({ id: applications.id }).from(applications).where(eq(applications.id, applicationId)));
  return row !== undefined && (await actorMay(accountId, actor, "environment.manage"));
}

/**
 * The rows of a new environment in one write transaction; the actor's role is re-read inside it. READ COMMITTED on
 * PostgreSQL, as an application's creation (lib/applications/create.ts): the new rows' rules across transactions
 * are UNIQUE constraints (the environment's name, the hostname; the branch made first guards the name too), and
 * SERIALIZABLE made concurrent creations in different accounts abort each other (docs/architecture.md "The soak
 * benchmark").
 */
async function writeRows(
  input: CreateEnvironmentInput,
  name: string,
  sourceName: string,
  commit: string,
): Promise<CreateEnvironmentResult> {
  const { application: app, hostname } = input;
  return writeTransaction(
    async (tx): Promise<CreateEnvironmentResult> => {
      if (!(await actorMay(app.accountId, input.actor, "environment.manage"))) return fail("not_found", "name", "Not found.");
      await lockHostname(hostname.hostname); // creations and claims of one hostname, one after the other (PostgreSQL)
      if ((await hostnameHolder(hostname.hostname, app.accountId)) === "same-account") return hostnameTaken(hostname.unicode);
      if (await accountClaimElsewhere(hostname.hostname, app.accountId)) return hostnameClaimed(hostname.unicode);
      const environment = await one(tx.insert(environments).values({ accountId: app.accountId, applicationId: app.id, name }).returning());
      // Held by another account: a claim instead of the domain (docs/product.md §3.5), in this same transaction.
      const held = await insertDomainOrClaim(tx, { environment, hostname, ownershipRequired: input.ownershipRequired, actor: input.actor });
      if (held.kind === "taken") throw new HostnameRace(hostname.hostname); // rolled back and run again
      const domain = held.kind === "domain" ? held.domain : null;
      const claim = held.kind === "claim" ? held.claim : null;
      await recordAudit(tx, {
        accountId: app.accountId,
        actor: auditActor(input.actor),
        action: "environment.create",
        targetType: "environment",
        targetId: environment.id,
        targetLabel: name,
        data: {
          applicationId: app.id,
          source: sourceName,
          hostname: hostname.hostname,
          domainId: domain?.id ?? null,
          claimId: claim?.id ?? null,
          commit,
          ownershipRequired: input.ownershipRequired,
        },
      });
      void noteEdgeChange({ environmentId: environment.id }); // docs/edge.md "Versions"
      return { ok: true, environment, domain, claim, commit };
    },
    { isolation: "read committed" },
  );
}
