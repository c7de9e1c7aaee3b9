import { execFileSync } from "node:child_process";
import { and, eq } from "drizzle-orm";
import { getDb, writeTransaction, first, one } from "@/db";
import { accounts, applications, auditEvents, domains, environments, memberships, users, type Role } from "@/db/schema";
import { createApplication, type Application } from "@/lib/applications/create";
import { createCommit, writeTreeWithChanges } from "@/lib/git/commit";
import { gitEnv, runGit } from "@/lib/git/run";
import type { Actor } from "@/lib/repositories/changes";
import { repositoryPath } from "@/lib/repositories/paths";

// Test set-up for environments (real repositories, the temporary database of lib/testing/temp-data-dir): an
// application made by the console's own creation path, people with roles in its account, and commits written
// straight into the repository — the way a `git push` would leave them, bypassing the console's validation.

/** The real git CLI on a repository, as a user would run it; its standard output, trimmed. */
export const git = (repo: string, ...args: string[]) =>
  execFileSync("git", ["-C", repo, ...args], { env: gitEnv(), encoding: "utf8" }).trim();

/** An application (Production on `www.<label>.example`) in a new account whose members are `roles`, by role. */
export async function makeApplication(label: string, roles: readonly Role[] = ["owner", "admin", "developer", "viewer"]) {
  const people = await writeTransaction(async (tx) => {
    const account = await one(
      tx
        .insert(accounts)
        .values({ name: `Acme ${label}` })
        .returning(),
    );
    const byRole = new Map<Role, typeof users.$inferSelect>();
    for (const role of roles) {
      const user = await one(
        tx
          .insert(users)
          .values({ email: `${role}.${label}@example.com`, name: role[0].toUpperCase() + role.slice(1), passwordHash: "x" })
          .returning(),
      );
      await tx.insert(memberships).values({ userId: user.id, accountId: account.id, role });
      byRole.set(role, user);
    }
    return { account, byRole };
  });
  const creator = people.byRole.get("owner") ?? people.byRole.get("developer") ?? [...people.byRole.values()][0];
  const created = await createApplication({
    actor: { id: creator.id, name: creator.name ?? creator.email },
    account: { id: people.account.id },
    hostname: { hostname: `www.${label}.example`, unicode: `www.${label}.example`, isApex: false },
    origin: { address: "203.0.113.7", protocol: "https", port: 443 },
    stackId: "varnish",
    ownershipRequired: false,
  });
  if (!created.ok) throw new Error(created.message);
  const user = (role: Role) => people.byRole.get(role)!;
  const actor = (role: Role): Actor => ({ id: user(role).id, name: user(role).name ?? user(role).email });
  return { app: created.application as Application, account: people.account, repo: repositoryPath(created.application), user, actor };
}

/**
 * Writes a commit of `files` (path → content; null deletes) on top of `parent` (null: a root commit, i.e. an
 * unrelated history) straight into the repository, and points `branch` at it when given. Returns the commit id.
 */
export async function commitFiles(
  repo: string,
  parent: string | null,
  files: Record<string, string | Buffer | null>,
  options: { branch?: string; message?: string; mode?: "100644" | "100755" } = {},
): Promise<string> {
  const tree = await writeTreeWithChanges(
    repo,
    parent,
    Object.entries(files).map(([path, content]) => ({ path, content, ...(options.mode ? { mode: options.mode } : {}) })),
  );
  const who = { name: "Dev", email: "dev@example.com" };
  const commit = await createCommit(repo, {
    tree,
    parents: parent ? [parent] : [],
    message: options.message ?? "change",
    author: who,
    committer: who,
  });
  if (options.branch) await runGit(["update-ref", `refs/heads/${options.branch}`, commit], { gitDir: repo });
  return commit;
}

/** Adds the row of an environment whose branch was made with git (as a push's post-receive would). */
export async function addEnvironmentRow(app: Pick<Application, "id" | "accountId">, name: string) {
  return writeTransaction((tx) =>
    one(tx.insert(environments).values({ accountId: app.accountId, applicationId: app.id, name }).returning()),
  );
}

/** A `section.config.json` text with the given environments' blocks (origin 203.0.113.7, `port`), 2-space JSON. */
export function configText(envs: Record<string, number>, options: { eol?: "\n" | "\r\n"; bom?: boolean } = {}): string {
  const value = {
    proxychain: [{ name: "varnish", image: "varnish:7.4" }],
    environments: Object.fromEntries(
      Object.entries(envs).map(([name, port]) => [name, { origin: { address: "203.0.113.7", protocol: "https", port } }]),
    ),
  };
  const text = `${JSON.stringify(value, null, 2)}\n`.replace(/\n/g, options.eol ?? "\n");
  return (options.bom ? "\uFEFF" : "") + text;
}

/** The environment row named `name` of the application. */
export async function environmentRow(app: Pick<Application, "id">, name: string) {
  const row = await first(
    getDb()
      .select()
      .from(environments)
      .where(and(eq(environments.applicationId, app.id), eq(environments.name, name))),
  );
  if (!row) throw new Error(`no environment ${name}`);
  return row;
}

/** What the console's tables hold now, for asserting that a refused action wrote nothing (tests in app/ read no DB). */
export async function tableState() {
  const db = getDb();
  return {
    audits: (await db.select({ id: auditEvents.id }).from(auditEvents)).length,
    accounts: (await db.select({ id: accounts.id }).from(accounts)).length,
    applications: await db.select({ id: applications.id, name: applications.name }).from(applications).orderBy(applications.id),
    environments: (await db.select({ name: environments.name }).from(environments)).map((e) => e.name).sort(),
    domains: await db.select({ id: domains.id, hostname: domains.hostname }).from(domains).orderBy(domains.id),
  };
}

/** The account the user's console opens first (`users.lastAccountId`). */
export async function lastAccountOf(userId: number) {
  return (await first(getDb().select({ id: users.lastAccountId }).from(users).where(eq(users.id, userId))))?.id ?? null;
}
