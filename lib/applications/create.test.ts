import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first, one, databaseErrorCode } from "@/db";
import { accounts, applications, auditEvents, domains, environments, memberships, users, type Role } from "@/db/schema";
import { repositoriesDir } from "@/lib/config";
import { createBareRepository, gitEnv } from "@/lib/git";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createApplication, repositoryPath, type CreateApplicationInput } from "./create";

const git = (...args: string[]) => execFileSync("git", args, { env: gitEnv(), encoding: "utf8" });

const TABLES = { accounts, memberships, applications, environments, domains, auditEvents } as const;
type Counts = Record<keyof typeof TABLES, number>;

async function counts(): Promise<Counts> {
  const db = getDb();
  const out = {} as Counts;
  for (const [name, table] of Object.entries(TABLES)) {
    out[name as keyof Counts] = (await first(db.select({ n: sql<number>`count(*)` }).from(table)))!.n;
  }
  return out;
}

/** Entries under the repositories folder (none when it was never created). */
const repositoryFolders = () => (fs.existsSync(repositoriesDir()) ? fs.readdirSync(repositoriesDir()).sort() : []);

function makeUser(email: string, name: string | null = null) {
  return writeTransaction((tx) => one(tx.insert(users).values({ email, name, passwordHash: "x" }).returning()));
}

function makeAccount(name: string, members: { userId: number; role: Role }[]) {
  return writeTransaction(async (tx) => {
    const account = await one(tx.insert(accounts).values({ name }).returning());
    for (const m of members) await tx.insert(memberships).values({ accountId: account.id, userId: m.userId, role: m.role });
    return account;
  });
}

/** An application holding `hostname` (rows only), in `account` or else in a new account of another user. */
async function occupyHostname(hostname: string, account?: { id: number }) {
  const other =
    account ?? (await makeAccount(`Other ${hostname}`, [{ userId: (await makeUser(`owner-${hostname}@example.com`)).id, role: "owner" }]));
  await writeTransaction(async (db) => {
    const app = await one(
      db
        .insert(applications)
        .values({ accountId: other.id, name: hostname, repoName: hostname, repoDir: `other-${other.id}-${hostname}.git`, stackId: "empty" })
        .returning(),
    );
    const env = await one(db.insert(environments).values({ accountId: other.id, applicationId: app.id, name: "Production" }).returning());
    await db.insert(domains).values({
      accountId: other.id,
      applicationId: app.id,
      environmentId: env.id,
      hostname,
      hostnameUnicode: hostname,
      isApex: false,
      verificationToken: "t",
    });
  });
}

function input(overrides: Partial<CreateApplicationInput> & Pick<CreateApplicationInput, "actor" | "account">): CreateApplicationInput {
  return {
    hostname: { hostname: "www.example.com", unicode: "www.example.com", isApex: false },
    origin: { address: "203.0.113.7", protocol: "https", port: 443 },
    stackId: "varnish",
    ownershipRequired: false,
    ...overrides,
  };
}

describe("createApplication", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeEach(() => {
    temp = makeTempDataDir("ec-create-");
  });
  afterEach(() => temp.cleanup());

  it("creates account, owner membership, application, Production, domain, audit rows and the repository", async () => {
    const ada = await makeUser("ada@example.com", "Ada");
    const result = await createApplication(
      input({
        actor: { id: ada.id, name: "Ada", email: ada.email },
        account: { newName: "  Acme Corp " },
        hostname: { hostname: "xn--bcher-kva.example", unicode: "bücher.example", isApex: true },
        origin: { address: "203.0.113.7", protocol: "http", port: 8080, host_header: "origin.example" },
        ownershipRequired: true,
      }),
    );
    if (!result.ok) throw new Error(result.message);

    expect(await counts()).toEqual({ accounts: 1, memberships: 1, applications: 1, environments: 1, domains: 1, auditEvents: 2 });
    const db = getDb();
    expect(result.account).toMatchObject({ name: "Acme Corp" });
    expect(await first(db.select().from(memberships))).toMatchObject({ userId: ada.id, accountId: result.account.id, role: "owner" });
    expect(result.application).toMatchObject({
      accountId: result.account.id,
      name: "bücher.example",
      repoName: "xn--bcher-kva.example",
      stackId: "varnish",
      createdBy: ada.id,
    });
    expect(result.application.repoDir).toMatch(/^[0-9a-f]{32}\.git$/);
    expect(result.environment).toMatchObject({ applicationId: result.application.id, name: "Production" });
    expect(result.domain).toMatchObject({
      environmentId: result.environment.id,
      hostname: "xn--bcher-kva.example",
      hostnameUnicode: "bücher.example",
      isApex: true,
      ownershipRequired: true,
      status: "pending",
    });
    expect(result.claim).toBeNull();
    expect(result.domain?.verificationToken).toMatch(/^[a-z2-7]{32}$/); // 160 bits, lower-case base32
    const audit = await db.select().from(auditEvents).orderBy(auditEvents.id);
    expect(audit.map((a) => [a.action, a.actorUserId, a.actorName, a.targetId, a.targetLabel])).toEqual([
      ["account.create", ada.id, "Ada", result.account.id, "Acme Corp"],
      ["application.create", ada.id, "Ada", result.application.id, "bücher.example"],
    ]);

    const repo = repositoryPath(result.application);
    expect(repositoryFolders()).toEqual([result.application.repoDir]);
    expect(git("-C", repo, "symbolic-ref", "HEAD").trim()).toBe("refs/heads/Production");
    expect(git("-C", repo, "log", "--format=%an <%ae> %s", "Production").trim()).toBe(
      "Edge Console <platform@edge.localhost> initial section.config.json",
    );
    expect(git("-C", repo, "ls-tree", "-r", "--name-only", "Production").trim().split("\n")).toEqual([
      ".gitignore",
      "section.config.json",
      "varnish/default.vcl",
      "varnish/proxy-features.json",
    ]);
    expect(git("-C", repo, "show", "Production:.gitignore")).toBe("local.config.json\n");
    expect(JSON.parse(git("-C", repo, "show", "Production:section.config.json"))).toEqual({
      proxychain: [{ name: "varnish", image: "varnish:7.4" }],
      environments: {
        Production: { origin: { address: "203.0.113.7", protocol: "http", port: 8080, host_header: "origin.example" } },
      },
    });
  });

  it("creates in an existing account for a developer, without an account.create row", async () => {
    const dev = await makeUser("dev@example.com");
    const acme = await makeAccount("Acme", [{ userId: dev.id, role: "developer" }]);
    const result = await createApplication(input({ actor: { id: dev.id, email: dev.email }, account: { id: acme.id }, stackId: "empty" }));
    expect(result).toMatchObject({ ok: true, account: { id: acme.id } });
    expect(await counts()).toEqual({ accounts: 1, memberships: 1, applications: 1, environments: 1, domains: 1, auditEvents: 1 });
    const audit = await first(getDb().select().from(auditEvents));
    expect(audit).toMatchObject({ action: "application.create", actorName: "dev@example.com", accountId: acme.id });
    const repo = repositoryPath(result.ok ? result.application : { repoDir: "x" });
    expect(git("-C", repo, "ls-tree", "-r", "--name-only", "Production").trim().split("\n")).toEqual([".gitignore", "section.config.json"]);
  });

  it("leaves no rows and no folder when the repository step fails (injected)", async () => {
    const ada = await makeUser("ada@example.com");
    const before = await counts();
    let madeDir = "";
    const failure = createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { newName: "Acme" } }), {
      buildRepository: async (dir, files, options) => {
        madeDir = dir;
        await createBareRepository(dir, files, options); // a real repository is there…
        throw new Error("disk full"); // …when the step fails
      },
    });
    await expect(failure).rejects.toThrow("disk full");
    expect(fs.existsSync(madeDir)).toBe(false);
    expect(await counts()).toEqual(before);
    expect(await counts()).toEqual({ accounts: 0, memberships: 0, applications: 0, environments: 0, domains: 0, auditEvents: 0 });
    expect(repositoryFolders()).toEqual([]);
  });

  it("leaves no rows and no folder when git itself fails", async () => {
    const ada = await makeUser("ada@example.com");
    const PATH = process.env.PATH;
    process.env.PATH = path.join(temp.dir, "no-bin");
    try {
      await expect(createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { newName: "Acme" } }))).rejects.toThrow(
        /git init failed/,
      );
    } finally {
      process.env.PATH = PATH;
    }
    expect(await counts()).toEqual({ accounts: 0, memberships: 0, applications: 0, environments: 0, domains: 0, auditEvents: 0 });
    expect(repositoryFolders()).toEqual([]);
  });

  it("leaves no rows and touches nothing when a file occupies the repository path", async () => {
    const ada = await makeUser("ada@example.com");
    const name = "0123456789abcdef0123456789abcdef.git";
    fs.mkdirSync(repositoriesDir(), { recursive: true });
    const obstacle = path.join(repositoriesDir(), name);
    fs.writeFileSync(obstacle, "someone else's file");

    const failure = createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { newName: "Acme" } }), {
      newRepositoryDirName: () => name,
    });
    await expect(failure).rejects.toMatchObject({ code: "EEXIST" });
    expect(await counts()).toEqual({ accounts: 0, memberships: 0, applications: 0, environments: 0, domains: 0, auditEvents: 0 });
    expect(repositoryFolders()).toEqual([name]);
    expect(fs.readFileSync(obstacle, "utf8")).toBe("someone else's file");
  });

  it("a hostname another account holds: the application is made with a claim on it instead of the domain (docs/product.md §3.5)", async () => {
    await occupyHostname("www.example.com");
    const ada = await makeUser("ada@example.com");
    const before = await counts();
    const result = await createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { newName: "Acme" } }));
    if (!result.ok) throw new Error(result.message);
    expect(result.domain).toBeNull();
    expect(result.claim).toMatchObject({
      hostname: "www.example.com",
      accountId: result.account.id,
      applicationId: result.application.id,
      environmentId: result.environment.id,
      createdBy: ada.id,
      verificationToken: expect.stringMatching(/^[a-z2-7]{32}$/),
    });
    // The other account keeps its domain; the new account, application and environment exist with their repository.
    expect(await counts()).toEqual({
      ...before,
      accounts: before.accounts + 1,
      memberships: before.memberships + 1,
      applications: before.applications + 1,
      environments: before.environments + 1,
      auditEvents: before.auditEvents + 3,
    });
    expect(fs.existsSync(repositoryPath(result.application))).toBe(true);
    const audit = await getDb().select().from(auditEvents).where(eq(auditEvents.accountId, result.account.id)).orderBy(auditEvents.id);
    expect(audit.map((a) => [a.action, a.targetLabel])).toEqual([
      ["account.create", "Acme"],
      ["domain.claim", "www.example.com"],
      ["application.create", "www.example.com"],
    ]);
    expect(audit[2].data).toMatchObject({ domainId: null, claimId: result.claim!.id });
  });

  it("refuses a hostname the same account holds, before any git work", async () => {
    const ada = await makeUser("ada@example.com");
    const acme = await makeAccount("Acme", [{ userId: ada.id, role: "owner" }]);
    await occupyHostname("www.example.com", acme);
    const before = await counts();
    const result = await createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { id: acme.id } }));
    expect(result).toEqual({
      ok: false,
      code: "hostname_taken",
      field: "hostname",
      message: "www.example.com is already used by another application of this account. Remove it there first, or choose another.",
    });
    expect(await counts()).toEqual(before);
    expect(repositoryFolders()).toEqual([]);
  });

  it("writes nothing and removes the repository when the account takes the hostname while the repository is built", async () => {
    const ada = await makeUser("ada@example.com");
    const acme = await makeAccount("Acme", [{ userId: ada.id, role: "owner" }]);
    let built = "";
    let before: Counts | undefined;
    const result = await createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { id: acme.id } }), {
      buildRepository: async (dir, files, options) => {
        await createBareRepository(dir, files, options);
        built = dir;
        await occupyHostname("www.example.com", acme);
        before = await counts();
      },
    });
    expect(result).toMatchObject({ ok: false, code: "hostname_taken", field: "hostname" });
    expect(fs.existsSync(built)).toBe(false);
    expect(await counts()).toEqual(before);
    expect(repositoryFolders()).toEqual([]);
  });

  it("rolls back every row (the new account too) and removes the repository when the DB step fails", async () => {
    const ada = await makeUser("ada@example.com");
    let built = "";
    let before: Counts | undefined;
    const failure = createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { newName: "Acme" } }), {
      buildRepository: async (dir, files, options) => {
        await createBareRepository(dir, files, options);
        built = dir;
        // The user is deleted while the repository is built: the membership row's foreign key fails.
        await writeTransaction((tx) => tx.delete(users).where(eq(users.id, ada.id)));
        before = await counts();
      },
    });
    // SQLite: SQLITE_CONSTRAINT_FOREIGNKEY; PostgreSQL: SQLSTATE 23503 (foreign_key_violation).
    await expect(failure).rejects.toSatisfy((error) => ["SQLITE_CONSTRAINT_FOREIGNKEY", "23503"].includes(databaseErrorCode(error) ?? ""));
    expect(fs.existsSync(built)).toBe(false);
    expect(await counts()).toEqual(before);
    expect(await getDb().select().from(accounts).where(eq(accounts.name, "Acme"))).toEqual([]);
    expect(await getDb().select().from(auditEvents).where(eq(auditEvents.actorUserId, ada.id))).toEqual([]);
    expect(repositoryFolders()).toEqual([]);
  });

  it("two simultaneous creations of one hostname: in two accounts one gets the domain and the other a claim; in one account one wins", async () => {
    const ada = await makeUser("ada@example.com");
    const bob = await makeUser("bob@example.com");
    const [a, b] = await Promise.all([
      createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { newName: "A" } })),
      createApplication(input({ actor: { id: bob.id, email: bob.email }, account: { newName: "B" } })),
    ]);
    if (!a.ok || !b.ok) throw new Error("both creations should succeed");
    expect([a.domain === null, b.domain === null].sort()).toEqual([false, true]);
    expect([a.claim === null, b.claim === null].sort()).toEqual([false, true]);
    expect((await counts()).domains).toBe(1);

    const team = await makeAccount("Team", [{ userId: ada.id, role: "owner" }]);
    const other = { hostname: "shop.example.com", unicode: "shop.example.com", isApex: false };
    const [c, d] = await Promise.all([
      createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { id: team.id }, hostname: other })),
      createApplication(input({ actor: { id: ada.id, email: ada.email }, account: { id: team.id }, hostname: other })),
    ]);
    expect([c.ok, d.ok].sort()).toEqual([false, true]);
    expect([c, d].find((r) => !r.ok)).toMatchObject({ code: "hostname_taken", field: "hostname" });
    expect(repositoryFolders()).toHaveLength(3);
  });

  it("answers not found for a non-member, a viewer or a missing account, writing nothing", async () => {
    const ada = await makeUser("ada@example.com");
    const eve = await makeUser("eve@example.com");
    const vic = await makeUser("vic@example.com");
    const acme = await makeAccount("Acme", [
      { userId: ada.id, role: "owner" },
      { userId: vic.id, role: "viewer" },
    ]);
    const before = await counts();
    for (const [actor, accountId] of [
      [eve, acme.id],
      [vic, acme.id],
      [ada, acme.id + 100],
    ] as const) {
      const result = await createApplication(input({ actor: { id: actor.id, email: actor.email }, account: { id: accountId } }));
      expect(result, actor.email).toEqual({ ok: false, code: "not_found", field: "account", message: "Account not found." });
    }
    expect(await counts()).toEqual(before);
    expect(repositoryFolders()).toEqual([]);
  });

  it("says so when the account requires two-factor authentication the actor lacks, writing nothing", async () => {
    const dev = await makeUser("dev@example.com");
    const acme = await makeAccount("Acme", [{ userId: dev.id, role: "developer" }]);
    await writeTransaction((tx) => tx.update(accounts).set({ requireTwoFactor: true }).where(eq(accounts.id, acme.id)));
    const before = await counts();
    const result = await createApplication(input({ actor: { id: dev.id, email: dev.email }, account: { id: acme.id } }));
    expect(result).toMatchObject({
      ok: false,
      code: "two_factor_required",
      field: "account",
      message: expect.stringMatching(/^This account requires two-factor authentication/),
    });
    expect(await counts()).toEqual(before);
    expect(repositoryFolders()).toEqual([]);
  });

  it("re-checks the membership inside the transaction (removed while the repository was built)", async () => {
    const dev = await makeUser("dev@example.com");
    const acme = await makeAccount("Acme", [{ userId: dev.id, role: "developer" }]);
    let built = "";
    const result = await createApplication(input({ actor: { id: dev.id, email: dev.email }, account: { id: acme.id } }), {
      buildRepository: async (dir, files, options) => {
        await createBareRepository(dir, files, options);
        built = dir;
        await writeTransaction((tx) => tx.delete(memberships).where(eq(memberships.userId, dev.id)));
      },
    });
    expect(result).toMatchObject({ ok: false, code: "not_found" });
    expect(fs.existsSync(built)).toBe(false);
    expect(await counts()).toEqual({ accounts: 1, memberships: 0, applications: 0, environments: 0, domains: 0, auditEvents: 0 });
  });

  it("returns field errors for an unknown stack, an empty account name and an invalid origin", async () => {
    const ada = await makeUser("ada@example.com");
    const actor = { id: ada.id, email: ada.email };
    expect(await createApplication(input({ actor, account: { newName: "A" }, stackId: "nginx-plus" }))).toMatchObject({
      ok: false,
      field: "stackId",
    });
    expect(await createApplication(input({ actor, account: { newName: "   " } }))).toMatchObject({ ok: false, field: "accountName" });
    const origin = await createApplication(
      input({ actor, account: { newName: "A" }, origin: { address: "http://203.0.113.7/", protocol: "http", port: 80 } }),
    );
    expect(origin).toMatchObject({ ok: false, code: "invalid", field: "origin", message: expect.stringMatching(/^origin\.address: /) });
    expect(await counts()).toEqual({ accounts: 0, memberships: 0, applications: 0, environments: 0, domains: 0, auditEvents: 0 });
    expect(repositoryFolders()).toEqual([]);
  });
});
