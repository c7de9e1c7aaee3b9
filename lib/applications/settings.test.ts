import fs from "node:fs";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, writeTransaction, one } from "@/db";
import { accounts, applications, auditEvents, domains, memberships, users } from "@/db/schema";
import { archiveDir } from "@/lib/config";
import type { Actor } from "@/lib/repositories/changes";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createApplication, repositoryPath, type Application } from "./create";
import { deleteApplication, renameApplication } from "./settings";

const host = (name: string) => ({ hostname: name, unicode: name, isApex: false });

describe("application settings (temp SQLite, real repository)", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let owner: Actor;
  let developer: Actor;
  let app: Application;

  beforeEach(async () => {
    temp = makeTempDataDir("ec-appset-");
    const { account, actors } = await writeTransaction(async (db) => {
      const account = await one(db.insert(accounts).values({ name: "Acme" }).returning());
      const actors: Actor[] = [];
      for (const role of ["owner", "developer"]) {
        const user = await one(
          db
            .insert(users)
            .values({ email: `${role}@example.com`, name: role, passwordHash: "x" })
            .returning(),
        );
        await db.insert(memberships).values({ userId: user.id, accountId: account.id, role: role as "owner" });
        actors.push({ id: user.id, name: role });
      }
      return { account, actors };
    });
    const [o, d] = actors;
    owner = o;
    developer = d;
    const created = await createApplication({
      actor: owner,
      account: { id: account.id },
      hostname: host("www.example.com"),
      origin: { address: "203.0.113.7", protocol: "https", port: 443 },
      stackId: "varnish",
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    app = created.application;
  });
  afterEach(() => temp.cleanup());

  const audit = async () => (await getDb().select().from(auditEvents).where(eq(auditEvents.accountId, app.accountId))).map((e) => e.action);

  it("renames for owners, refuses developers and empty names", async () => {
    expect(await renameApplication({ applicationId: app.id, actor: developer, name: "Shop" })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    expect(await renameApplication({ applicationId: app.id, actor: owner, name: "   " })).toMatchObject({ ok: false, field: "name" });
    expect(await renameApplication({ applicationId: app.id, actor: owner, name: "  Shop  " })).toMatchObject({
      ok: true,
      application: { name: "Shop" },
    });
    expect(await audit()).toContain("application.rename");
  });

  it("deletes after the typed name: rows gone, hostname free, repository archived", async () => {
    const repo = repositoryPath(app);
    expect(await deleteApplication({ applicationId: app.id, actor: developer, confirmation: app.name })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    expect(await deleteApplication({ applicationId: app.id, actor: owner, confirmation: "nope" })).toMatchObject({
      ok: false,
      field: "confirmation",
    });
    expect(fs.existsSync(repo)).toBe(true);

    const now = new Date("2026-11-30T12:34:56.789Z");
    const result = await deleteApplication({ applicationId: app.id, actor: owner, confirmation: app.name, now });
    expect(result).toMatchObject({
      ok: true,
      freedHostnames: ["www.example.com"],
      archivedAs: `${app.repoDir.replace(/\.git$/, "")}-20261130T123456Z.git`,
    });
    expect(fs.existsSync(repo)).toBe(false);
    expect(fs.readdirSync(archiveDir())).toEqual([`${app.repoDir.replace(/\.git$/, "")}-20261130T123456Z.git`]);
    expect(await getDb().select().from(applications)).toEqual([]);
    expect(await getDb().select().from(domains)).toEqual([]);
    expect(await audit()).toContain("application.delete");
  });

  it("moves the repository back when the transaction fails", async () => {
    const repo = repositoryPath(app);
    await expect(
      deleteApplication(
        { applicationId: app.id, actor: owner, confirmation: app.name },
        {
          afterDelete: () => {
            throw new Error("disk full");
          },
        },
      ),
    ).rejects.toThrow("disk full");
    expect(fs.existsSync(repo)).toBe(true);
    expect(fs.readdirSync(archiveDir())).toEqual([]);
    expect((await getDb().select().from(domains)).map((d) => d.hostname)).toEqual(["www.example.com"]);
  });
});

describe("recoverInterruptedApplicationDeletions", () => {
  it("moves an archived repository back when its application row remains", async () => {
    const temp = makeTempDataDir("ec-apprec-");
    try {
      const { recoverInterruptedApplicationDeletions } = await import("./settings");
      const { account, user } = await writeTransaction(async (db) => {
        const account = await one(db.insert(accounts).values({ name: "Acme" }).returning());
        const user = await one(db.insert(users).values({ email: "o@example.com", name: "o", passwordHash: "x" }).returning());
        await db.insert(memberships).values({ userId: user.id, accountId: account.id, role: "owner" });
        return { account, user };
      });
      const created = await createApplication({
        actor: { id: user.id, name: "o", email: "o@example.com" },
        account: { id: account.id },
        hostname: host("www.example.com"),
        origin: { address: "203.0.113.7", protocol: "https", port: 443 },
        stackId: "varnish",
        ownershipRequired: false,
      });
      if (!created.ok) throw new Error(created.message);
      const repo = repositoryPath(created.application);
      // A crash after step 1: the repository is in the archive, the rows are still there.
      fs.mkdirSync(archiveDir(), { recursive: true });
      fs.renameSync(repo, `${archiveDir()}/${created.application.repoDir.replace(/\.git$/, "")}-20261130T000000Z.git`);
      fs.mkdirSync(`${archiveDir()}/${"f".repeat(32)}-20261130T000000Z.git`); // a finished deletion: stays archived
      expect(await recoverInterruptedApplicationDeletions()).toEqual([created.application.repoDir]);
      expect(fs.existsSync(repo)).toBe(true);
      expect(fs.readdirSync(archiveDir())).toEqual([`${"f".repeat(32)}-20261130T000000Z.git`]);
    } finally {
      temp.cleanup();
    }
  });
});
