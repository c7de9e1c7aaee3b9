import fs from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getDb, writeTransaction, first } from "@/db";
import { accounts, applications, auditEvents, dnsChecks, domains, environments, invitations, memberships, users } from "@/db/schema";
import { repositoriesDir } from "@/lib/config";
import { createApplication, repositoryPath } from "@/lib/applications/create";
import { createInvitation } from "@/lib/invitations/manage";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { actorOf, auditOf, makeAccount, makeUser, roleOf } from "@/lib/testing/people";
import { deleteAccount, recoverInterruptedDeletions, trashDir } from "./delete";
import { renameAccount, transferOwnership } from "./settings";
import { captureLog } from "@/lib/log";

const TABLES = { accounts, memberships, applications, environments, domains, dnsChecks, invitations, auditEvents } as const;
type Counts = Record<keyof typeof TABLES, number>;
async function counts(): Promise<Counts> {
  const out = {} as Counts;
  for (const [name, table] of Object.entries(TABLES))
    out[name as keyof Counts] = (await first(
      getDb()
        .select({ n: sql<number>`count(*)` })
        .from(table),
    ))!.n;
  return out;
}
const folders = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

async function app(actor: { id: number; email: string }, accountId: number, hostname: string) {
  const result = await createApplication({
    actor,
    account: { id: accountId },
    hostname: { hostname, unicode: hostname, isApex: false },
    origin: { address: "203.0.113.7", protocol: "https", port: 443 },
    stackId: "varnish",
    ownershipRequired: false,
  });
  if (!result.ok) throw new Error(result.message);
  const domain = result.domain;
  if (!domain) throw new Error(`${hostname} is held by another account`);
  await writeTransaction((tx) =>
    tx.insert(dnsChecks).values({
      domainId: domain.id,
      checkedAt: new Date(),
      outcome: "nxdomain",
      status: "nxdomain",
      reason: "nxdomain",
      records: {},
      resolver: "x",
      durationMs: 1,
    }),
  );
  return result.application;
}

describe("account settings", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeEach(() => {
    temp = makeTempDataDir("ec-accounts-");
  });
  afterEach(() => temp.cleanup());

  async function team() {
    const own = await makeUser("own@example.com", "Olga");
    const adm = await makeUser("adm@example.com");
    const dev = await makeUser("dev@example.com");
    const out = await makeUser("out@example.com");
    const made = await makeAccount("Acme", [
      { userId: own.id, role: "owner" },
      { userId: adm.id, role: "admin" },
      { userId: dev.id, role: "developer" },
    ]);
    return { own, adm, dev, out, ...made };
  }

  it("owners and admins rename; developers and non-members cannot", async () => {
    const t = await team();
    expect(await renameAccount({ accountId: t.account.id, actor: actorOf(t.adm), name: "Acme Inc" })).toEqual({
      ok: true,
      accountId: t.account.id,
    });
    expect(await renameAccount({ accountId: t.account.id, actor: actorOf(t.dev), name: "Dev Co" })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    expect(await renameAccount({ accountId: t.account.id, actor: actorOf(t.out), name: "Out Co" })).toMatchObject({
      ok: false,
      code: "not_found",
    });
    expect((await first(getDb().select().from(accounts)))?.name).toBe("Acme Inc");
    expect(await first(getDb().select().from(auditEvents))).toMatchObject({
      action: "account.rename",
      actorUserId: t.adm.id,
      data: { from: "Acme", to: "Acme Inc" },
    });
  });

  it("transfer: the target becomes owner and the giver admin, in one step; owners only", async () => {
    const t = await team();
    expect(await transferOwnership({ accountId: t.account.id, actor: actorOf(t.adm), toUserId: t.dev.id })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    expect(await transferOwnership({ accountId: t.account.id, actor: actorOf(t.own), toUserId: t.out.id })).toMatchObject({
      ok: false,
      field: "userId",
    });
    expect(await transferOwnership({ accountId: t.account.id, actor: actorOf(t.own), toUserId: t.own.id })).toMatchObject({
      ok: false,
      field: "userId",
    });
    expect(await transferOwnership({ accountId: t.account.id, actor: actorOf(t.own), toUserId: t.dev.id })).toEqual({
      ok: true,
      accountId: t.account.id,
    });
    expect([await roleOf(t.account.id, t.dev.id), await roleOf(t.account.id, t.own.id)]).toEqual(["owner", "admin"]);
    expect(await auditOf(t.account.id)).toEqual([["account.transfer", t.own.id, "dev@example.com"]]);
    // The former owner is an admin now: no second transfer.
    expect(await transferOwnership({ accountId: t.account.id, actor: actorOf(t.own), toUserId: t.adm.id })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
  });
});

describe("deleteAccount", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeEach(() => {
    temp = makeTempDataDir("ec-delete-");
    vi.spyOn(console, "log").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
    temp.cleanup();
  });

  async function acmeWithApps() {
    const own = await makeUser("own@example.com", "Olga");
    const adm = await makeUser("adm@example.com");
    const { account } = await makeAccount("Acme", [
      { userId: own.id, role: "owner" },
      { userId: adm.id, role: "admin" },
    ]);
    const other = await makeUser("other@example.com");
    const { account: otherAccount } = await makeAccount("Other", [{ userId: other.id, role: "owner" }]);
    const a1 = await app(own, account.id, "www.acme.test");
    const a2 = await app(own, account.id, "shop.acme.test");
    const keep = await app(other, otherAccount.id, "www.other.test");
    await createInvitation({ accountId: account.id, actor: actorOf(own), email: "new@example.com", role: "viewer" });
    await writeTransaction((tx) => tx.update(users).set({ lastAccountId: account.id }).where(eq(users.id, adm.id)));
    return { own, adm, other, account, otherAccount, a1, a2, keep };
  }

  it("removes the account's rows and repositories, frees its hostnames, and keeps other accounts", async () => {
    const s = await acmeWithApps();
    const logged = captureLog();
    expect(await deleteAccount({ accountId: s.account.id, actor: actorOf(s.adm), confirmName: "Acme" })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    expect(await deleteAccount({ accountId: s.account.id, actor: actorOf(s.other), confirmName: "Acme" })).toMatchObject({
      ok: false,
      code: "not_found",
    });
    expect(await deleteAccount({ accountId: s.account.id, actor: actorOf(s.own), confirmName: "acme" })).toMatchObject({
      ok: false,
      field: "confirm",
    });
    expect(folders(repositoriesDir())).toHaveLength(3);

    const result = await deleteAccount({ accountId: s.account.id, actor: actorOf(s.own), confirmName: " Acme " });
    expect(result).toEqual({ ok: true, accountName: "Acme", applications: 2, hostnames: ["shop.acme.test", "www.acme.test"] });
    expect(await counts()).toEqual({
      accounts: 1,
      memberships: 1,
      applications: 1,
      environments: 1,
      domains: 1,
      dnsChecks: 1,
      invitations: 0,
      auditEvents: 1,
    });
    expect(folders(repositoriesDir())).toEqual([s.keep.repoDir]);
    expect(folders(trashDir())).toEqual([]);
    expect((await first(getDb().select().from(users).where(eq(users.id, s.adm.id))))?.lastAccountId).toBeNull();
    logged.stop();
    expect(logged.lines()).toContainEqual(
      expect.objectContaining({
        level: "info",
        msg: expect.stringMatching(/^\[account\] deleted account #\d+ "Acme" by user #\d+ "Olga": 2 application\(s\)/),
      }),
    );

    // The hostnames are free: another account creates an application with one.
    const reused = await app(s.other, s.otherAccount.id, "www.acme.test");
    expect(reused.accountId).toBe(s.otherAccount.id);
  });

  it("a database failure midway moves every repository back and leaves every row", async () => {
    const s = await acmeWithApps();
    const before = await counts();
    const repos = folders(repositoriesDir());
    await expect(
      deleteAccount(
        { accountId: s.account.id, actor: actorOf(s.own), confirmName: "Acme" },
        {
          afterDelete: () => {
            expect(fs.existsSync(repositoryPath(s.a1))).toBe(false); // staged away while the transaction runs
            throw new Error("disk I/O error");
          },
        },
      ),
    ).rejects.toThrow("disk I/O error");
    expect(await counts()).toEqual(before);
    expect(folders(repositoriesDir())).toEqual(repos);
    expect(fs.existsSync(path.join(repositoryPath(s.a1), "HEAD"))).toBe(true);
    expect(folders(trashDir())).toEqual([]);
  });

  it("a failure while staging the second repository moves the first back", async () => {
    const s = await acmeWithApps();
    const before = await counts();
    const repos = folders(repositoriesDir());
    let calls = 0;
    const rename = (from: string, to: string) => {
      calls += 1;
      if (calls === 2) throw Object.assign(new Error("EXDEV: cross-device link not permitted"), { code: "EXDEV" });
      fs.renameSync(from, to);
    };
    await expect(deleteAccount({ accountId: s.account.id, actor: actorOf(s.own), confirmName: "Acme" }, { rename })).rejects.toThrow(
      "EXDEV",
    );
    expect(await counts()).toEqual(before);
    expect(folders(repositoriesDir())).toEqual(repos);
    expect(folders(trashDir())).toEqual([]);
  });

  it("start-up check after a crash: restores repositories whose rows remain, removes the rest", async () => {
    const s = await acmeWithApps();
    // A crash after staging (rows still there) and a crash after the commit (rows gone, staging left behind).
    const staged = path.join(trashDir(), "11111111-1111-4111-8111-111111111111");
    fs.mkdirSync(staged, { recursive: true });
    fs.renameSync(repositoryPath(s.a1), path.join(staged, s.a1.repoDir));
    fs.mkdirSync(path.join(staged, "0123456789abcdef0123456789abcdef.git"));
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(staged, old, old);
    const fresh = path.join(trashDir(), "22222222-2222-4222-8222-222222222222");
    fs.mkdirSync(fresh);

    expect(await recoverInterruptedDeletions()).toEqual({ restored: [s.a1.repoDir], removed: ["0123456789abcdef0123456789abcdef.git"] });
    expect(fs.existsSync(path.join(repositoryPath(s.a1), "HEAD"))).toBe(true);
    expect(folders(trashDir())).toEqual(["22222222-2222-4222-8222-222222222222"]); // too young: maybe still running
    expect(await recoverInterruptedDeletions({ olderThanMs: -1 })).toEqual({ restored: [], removed: [] });
    expect(folders(trashDir())).toEqual([]);
  });
});
