import fs from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import { writeTransaction, first, one, isForeignKeyViolation, isUniqueViolation } from "@/db";
import { accounts, applications, environments, memberships } from "@/db/schema";
import { accountNameField } from "@/lib/accounts/fields";
import { recordAudit } from "@/lib/audit/record";
import { can } from "@/lib/auth/permissions";
import { effectiveRole } from "@/lib/auth/roles";
import { repositoriesDir } from "@/lib/config";
import { createBareRepository, PRODUCTION_BRANCH, type CreateBareRepositoryOptions } from "@/lib/git";
import { newRepositoryDirName } from "@/lib/repositories/paths";
import { buildInitialConfig, serializeSectionConfig, validateSectionConfig } from "@/lib/section-config/schema";
import { getStack } from "@/lib/stacks/catalog";
import { readStarterFiles } from "@/lib/stacks/starter-files";
import { TWO_FACTOR_REQUIRED_MESSAGE } from "@/lib/two-factor/requirement";
import type { AccountRow, ApplicationRow, DomainRow, EnvironmentRow } from "@/db/types";
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

export { cleanupInterruptedCreations, repositoryPath } from "./repository";

// The creation unit of docs/product.md §3.3 step 5: repository + application, Production environment, domain and
// audit rows, all or nothing. Order: claim the repository folder at its final path and build it (slow, async), then
// ONE write transaction for the rows; any failure after the claim removes the folder. A crash between the two leaves
// only an unreferenced folder, which `cleanupInterruptedCreations` removes at start-up; a row can never exist
// without its repository.

export type Account = AccountRow;
export type Application = ApplicationRow;
export type Environment = EnvironmentRow;
export type Domain = DomainRow;

export type CreateApplicationInput = {
  /** The signed-in user; `name` (or else `email`) is recorded in the audit log as the actor. */
  actor: { id: number; name?: string | null; email?: string | null };
  /** An account where the actor may create applications ("application.create"), or a new account (the actor becomes its owner). */
  account: { id: number } | { newName: string };
  /** Already normalised by `lib/hostname` (A-label form, Unicode form, apex or not). */
  hostname: { hostname: string; unicode: string; isApex: boolean };
  /** Already checked by `lib/origin` (address policy); written to `environments.Production.origin`. */
  origin: { address: string; protocol: "http" | "https"; port: number; host_header?: string };
  /** A catalog id (`lib/stacks/catalog`). */
  stackId: string;
  /** True when the hostname already resolved to the edge: it must prove ownership by TXT before going live. */
  ownershipRequired: boolean;
};

export type CreateApplicationSeams = {
  /** Builds the repository in the (claimed, empty) folder; default `createBareRepository`. */
  buildRepository?: (dir: string, files: Record<string, string>, options: CreateBareRepositoryOptions) => Promise<unknown>;
  /** Folder name under `repositoriesDir()`; default 16 random bytes in hex + `.git`. */
  newRepositoryDirName?: () => string;
};

/** The wizard field an error belongs to (`account`: the chosen account, for `not_found`). */
export type CreateApplicationField = "hostname" | "origin" | "stackId" | "accountName" | "account";

/**
 * A creation: the Production environment holds the hostname (`domain`), or — when another account holds it — a claim
 * on it (`claim`, docs/product.md §3.5) and no domain yet.
 */
export type CreateApplicationResult =
  | { ok: true; application: Application; environment: Environment; domain: Domain | null; claim: DomainClaimRow | null; account: Account }
  | { ok: false; code: "not_found" | "hostname_taken" | "invalid" | "two_factor_required"; field: CreateApplicationField; message: string };

const notFound = { ok: false, code: "not_found", field: "account", message: "Account not found." } as const;
const twoFactorRequired = { ok: false, code: "two_factor_required", field: "account", message: TWO_FACTOR_REQUIRED_MESSAGE } as const;

/** The hostname is held in the account the application is made in: a claim cannot settle that (docs/product.md §3.5). */
function hostnameTaken(hostname: CreateApplicationInput["hostname"]) {
  return {
    ok: false,
    code: "hostname_taken",
    field: "hostname",
    message: `${hostname.unicode} is already used by another application of this account. Remove it there first, or choose another.`,
  } as const;
}

/** The account already claims the hostname for another environment (docs/product.md §3.5): one claim at a time. */
function hostnameClaimed(hostname: CreateApplicationInput["hostname"]) {
  return { ok: false, code: "hostname_taken", field: "hostname", message: claimedElsewhereMessage(hostname.unicode) } as const;
}

function invalid(field: CreateApplicationField, message: string) {
  return { ok: false, code: "invalid", field, message } as const;
}

/**
 * Why the user cannot create in the account, or null: their effective role there (lib/auth/roles, read on the
 * connection of the moment, so inside the transaction it holds for its writes) must grant "application.create"
 * (`notFound` otherwise: no such account, not a member, or a role without it); a member the account blocks for
 * lacking two-factor authentication gets `twoFactorRequired` (docs/product.md §3.2).
 */
async function cannotCreateIn(accountId: number, userId: number): Promise<typeof notFound | typeof twoFactorRequired | null> {
  const role = await effectiveRole(accountId, userId);
  if (role.kind === "blocked" && can(role.role, "application.create")) return twoFactorRequired;
  return role.kind === "member" && can(role.role, "application.create") ? null : notFound;
}

/**
 * Creates an application as one unit (docs/product.md §3.3 step 5, §5; docs/architecture.md "The two paths"): a
 * bare repository at `repositoriesDir()/<random>.git` whose `Production` branch holds "initial section.config.json"
 * (the stack's proxy chain, the origin, `.gitignore`, the starter files), then in one `BEGIN IMMEDIATE` transaction:
 * the account and the actor's owner membership (when `account.newName`), the application (display name = the
 * Unicode hostname, repoName = the A-label hostname, stackId, createdBy), the `Production` environment, the domain
 * (status pending, random verification token) — or, when another account holds the hostname, a claim on it
 * (lib/edge/claims `insertDomainOrClaim`, audit row `domain.claim`; docs/product.md §3.5) — and audit rows
 * `account.create` / `application.create`.
 *
 * Inputs are already normalised (see `createApplicationFromInput` in ./from-input for the wizard's and the API's
 * raw fields). Authorization is the caller's job; the actor's "application.create" right in an existing account is
 * re-checked inside the transaction. Expected failures are returned as `{ ok: false, code, field, message }`, with
 * nothing written and no folder left: `not_found` (field `account`: no such account, or the actor may not create
 * there — show a 404), `two_factor_required` (field `account`: the account requires two-factor authentication the
 * actor lacks, docs/product.md §3.2), `hostname_taken` (field `hostname`: the account holds the hostname already),
 * `invalid` (field `stackId`, `accountName` — lib/accounts/fields `accountNameField` — or `origin`). Unexpected
 * failures (git, disk, database) are thrown after the repository folder was removed and the transaction rolled back;
 * a folder already occupying the target path is never touched (RepositoryPathTakenError / EEXIST is thrown).
 */
export async function createApplication(
  input: CreateApplicationInput,
  seams: CreateApplicationSeams = {},
): Promise<CreateApplicationResult> {
  const stack = getStack(input.stackId);
  if (!stack) return invalid("stackId", "Choose a proxy stack from the list.");
  let newName: string | null = null;
  if ("newName" in input.account) {
    const checked = accountNameField.safeParse(input.account.newName);
    if (!checked.success) return invalid("accountName", checked.error.issues[0].message);
    newName = checked.data;
  }
  const config = buildInitialConfig(stack, input.origin);
  const checked = validateSectionConfig(config, { environment: PRODUCTION_BRANCH });
  if (!checked.ok) {
    const issue = checked.issues[0];
    return invalid("origin", `${issue.path.replace(/^environments\.Production\./, "")}: ${issue.message}`);
  }

  // Cheap early answers before any git work; the transaction re-checks the membership, and the UNIQUE constraint
  // on domains.hostname decides a race between two creations.
  const accountId = "id" in input.account ? input.account.id : null;
  const refused = accountId !== null ? await cannotCreateIn(accountId, input.actor.id) : null;
  if (refused) return refused;
  if ((await hostnameHolder(input.hostname.hostname, accountId)) === "same-account") return hostnameTaken(input.hostname);
  if (accountId !== null && (await accountClaimElsewhere(input.hostname.hostname, accountId))) return hostnameClaimed(input.hostname);

  const files: Record<string, string> = {
    ...readStarterFiles(stack),
    "section.config.json": serializeSectionConfig(checked.config),
    ".gitignore": "local.config.json\n",
  };
  const repoDir = (seams.newRepositoryDirName ?? newRepositoryDirName)();
  const root = repositoriesDir();
  const repoPath = path.join(root, repoDir);
  if (path.dirname(repoPath) !== root) throw new TypeError(`Invalid repository folder name: ${JSON.stringify(repoDir)}`);
  fs.mkdirSync(root, { recursive: true });
  fs.mkdirSync(repoPath); // claims the final path; throws EEXIST (nothing of ours to remove) when it is taken

  let result: CreateApplicationResult;
  try {
    await (seams.buildRepository ?? createBareRepository)(repoPath, files, { message: "initial section.config.json" });
    result = await retryOnHostnameRace(() => writeRows(input, { accountId, newName, repoDir }));
  } catch (err) {
    removeRepository(repoPath);
    if (isUniqueViolation(err, "domains.hostname")) return hostnameTaken(input.hostname);
    // The account (or the actor's membership) deleted after this transaction's checks read it: on PostgreSQL's READ
    // COMMITTED the insert meets the delete at its foreign key. Answered as if the deletion had come first.
    if (isForeignKeyViolation(err) && accountId !== null) {
      const refused = await cannotCreateIn(accountId, input.actor.id);
      if (refused) return refused;
    }
    throw err;
  }
  if (!result.ok) removeRepository(repoPath);
  return result;
}

/** Removes a repository this creation made; if even that fails, the start-up check removes the orphan later. */
function removeRepository(repoPath: string): void {
  try {
    fs.rmSync(repoPath, { recursive: true, force: true });
  } catch (err) {
    log.error({ err }, `createApplication: could not remove ${repoPath}; the start-up check will`);
  }
}

/**
 * The rows of one creation, in one write transaction; returns an error value only before its first write. READ
 * COMMITTED on PostgreSQL: every row is new, and the one rule that spans transactions (one holder per hostname) is
 * the UNIQUE constraint on domains.hostname (retried by lib/edge/claims retryOnHostnameRace). SERIALIZABLE's
 * predicate locks on the small indexes that every creation reads and inserts into (domains.hostname, domain_claims,
 * the new rows' primary keys) made concurrent creations in different accounts abort each other beyond the retries:
 * 7-10 % of creations answered 500 in the soak benchmark (docs/architecture.md "The soak benchmark").
 */
async function writeRows(
  input: CreateApplicationInput,
  target: { accountId: number | null; newName: string | null; repoDir: string },
): Promise<CreateApplicationResult> {
  const actorName = input.actor.name?.trim() || input.actor.email?.trim() || `user #${input.actor.id}`;
  const { hostname } = input;
  return writeTransaction(
    async (tx): Promise<CreateApplicationResult> => {
      await lockHostname(hostname.hostname); // creations and claims of one hostname, one after the other (PostgreSQL)
      let account: Account | undefined;
      if (target.accountId !== null) {
        const refused = await cannotCreateIn(target.accountId, input.actor.id);
        if (refused) return refused;
        account = await first(tx.select().from(accounts).where(eq(accounts.id, target.accountId)));
        if (!account) return notFound;
        if ((await hostnameHolder(hostname.hostname, account.id)) === "same-account") return hostnameTaken(hostname);
        if (await accountClaimElsewhere(hostname.hostname, account.id)) return hostnameClaimed(hostname);
      }
      // Held in this account: refused above, before any write (a new account holds nothing). Held by another account:
      // a claim instead of the domain (insertDomainOrClaim). The UNIQUE constraint on domains.hostname stays the last
      // word: a violation rolls back every row of this transaction (a new account included).

      if (!account) {
        account = await one(
          tx
            .insert(accounts)
            .values({ name: target.newName ?? "" })
            .returning(),
        );
        await tx.insert(memberships).values({ userId: input.actor.id, accountId: account.id, role: "owner" });
        await recordAudit(tx, {
          accountId: account.id,
          actor: { id: input.actor.id, name: actorName },
          action: "account.create",
          targetType: "account",
          targetId: account.id,
          targetLabel: account.name,
        });
      }
      const application = await one(
        tx
          .insert(applications)
          .values({
            accountId: account.id,
            name: hostname.unicode,
            repoName: hostname.hostname,
            repoDir: target.repoDir,
            stackId: input.stackId,
            createdBy: input.actor.id,
          })
          .returning(),
      );
      const environment = await one(
        tx.insert(environments).values({ accountId: account.id, applicationId: application.id, name: PRODUCTION_BRANCH }).returning(),
      );
      const held = await insertDomainOrClaim(tx, {
        environment,
        hostname,
        ownershipRequired: input.ownershipRequired,
        actor: { id: input.actor.id, name: actorName },
      });
      // Taken by this account since the check above (another transaction committed in between: READ COMMITTED):
      // rolled back and run again, when the check refuses before any write.
      if (held.kind === "taken") throw new HostnameRace(hostname.hostname);
      const domain = held.kind === "domain" ? held.domain : null;
      const claim = held.kind === "claim" ? held.claim : null;
      await recordAudit(tx, {
        accountId: account.id,
        actor: { id: input.actor.id, name: actorName },
        action: "application.create",
        targetType: "application",
        targetId: application.id,
        targetLabel: application.name,
        data: {
          hostname: hostname.hostname,
          environment: PRODUCTION_BRANCH,
          domainId: domain?.id ?? null,
          claimId: claim?.id ?? null,
          stackId: input.stackId,
          origin: input.origin,
          ownershipRequired: input.ownershipRequired,
        },
      });
      void noteEdgeChange({ applicationId: application.id }); // docs/edge.md "Versions" (runs after this transaction commits)
      return { ok: true, application, environment, domain, claim, account };
    },
    { isolation: "read committed" },
  );
}
