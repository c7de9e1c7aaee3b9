import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { databaseFile, dialect } from "@/db";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { actorOf, auditOf, makeAccount, makeUser, owners, roleOf } from "@/lib/testing/people";
import { grantableRoles, mayActOn } from "./common";
import { changeMemberRole, leaveAccount, removeMember, type MemberResult } from "./manage";

const run = promisify(execFile);

describe("role rules", () => {
  it("owners grant every role, admins every role but owner, others none", () => {
    expect(grantableRoles("owner")).toEqual(["owner", "admin", "developer", "viewer"]);
    expect(grantableRoles("admin")).toEqual(["admin", "developer", "viewer"]);
    expect(grantableRoles("developer")).toEqual([]);
    expect(grantableRoles("viewer")).toEqual([]);
    expect(grantableRoles("root")).toEqual([]);
  });
  it("admins never act on an owner", () => {
    expect(mayActOn("owner", "owner")).toBe(true);
    expect(mayActOn("admin", "owner")).toBe(false);
    expect(mayActOn("admin", "admin")).toBe(true);
    expect(mayActOn("developer", "viewer")).toBe(false);
  });
});

describe("members", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeEach(() => {
    temp = makeTempDataDir("ec-members-");
  });
  afterEach(() => temp.cleanup());

  async function team() {
    const own = await makeUser("own@example.com", "Olga");
    const adm = await makeUser("adm@example.com", "Adam");
    const dev = await makeUser("dev@example.com");
    const vie = await makeUser("vie@example.com");
    const out = await makeUser("out@example.com");
    const made = await makeAccount("Acme", [
      { userId: own.id, role: "owner" },
      { userId: adm.id, role: "admin" },
      { userId: dev.id, role: "developer" },
      { userId: vie.id, role: "viewer" },
    ]);
    return { own, adm, dev, vie, out, ...made };
  }

  it("the last owner cannot be demoted, removed or leave — also by themselves", async () => {
    const t = await team();
    const m = t.membershipOf(t.own.id);
    const refused = { ok: false, code: "last_owner" };
    expect(await changeMemberRole({ membershipId: m, role: "admin", actor: actorOf(t.own) })).toMatchObject(refused);
    expect(await removeMember({ membershipId: m, actor: actorOf(t.own) })).toMatchObject(refused);
    expect(await leaveAccount({ accountId: t.account.id, actor: actorOf(t.own) })).toMatchObject({
      ...refused,
      message: expect.stringContaining("You are the only owner, so you cannot leave."),
    });
    expect(await roleOf(t.account.id, t.own.id)).toBe("owner");
    expect(await auditOf(t.account.id)).toEqual([]);
  });

  it("an owner changes roles, grants owner, and then may step down; each change is audited", async () => {
    const t = await team();
    expect(await changeMemberRole({ membershipId: t.membershipOf(t.dev.id), role: "admin", actor: actorOf(t.own) })).toEqual({
      ok: true,
      accountId: t.account.id,
      changed: true,
    });
    expect(await changeMemberRole({ membershipId: t.membershipOf(t.adm.id), role: "owner", actor: actorOf(t.own) })).toMatchObject({
      ok: true,
    });
    expect(await changeMemberRole({ membershipId: t.membershipOf(t.own.id), role: "viewer", actor: actorOf(t.own) })).toMatchObject({
      ok: true,
    });
    expect([await roleOf(t.account.id, t.dev.id), await roleOf(t.account.id, t.adm.id), await roleOf(t.account.id, t.own.id)]).toEqual([
      "admin",
      "owner",
      "viewer",
    ]);
    // Unchanged role: nothing written.
    expect(await changeMemberRole({ membershipId: t.membershipOf(t.dev.id), role: "admin", actor: actorOf(t.adm) })).toMatchObject({
      changed: false,
    });
    expect(await auditOf(t.account.id)).toEqual([
      ["member.role", t.own.id, "dev@example.com"],
      ["member.role", t.own.id, "adm@example.com"],
      ["member.role", t.own.id, "own@example.com"],
    ]);
  });

  it("an admin manages non-owners but never acts on an owner or grants owner", async () => {
    const t = await team();
    const adm = actorOf(t.adm);
    expect(await changeMemberRole({ membershipId: t.membershipOf(t.own.id), role: "viewer", actor: adm })).toMatchObject({
      ok: false,
      code: "forbidden",
      message: "Only an owner can change the role of an owner.",
    });
    expect(await removeMember({ membershipId: t.membershipOf(t.own.id), actor: adm })).toMatchObject({
      ok: false,
      code: "forbidden",
      message: "Only an owner can remove an owner.",
    });
    expect(await changeMemberRole({ membershipId: t.membershipOf(t.dev.id), role: "owner", actor: adm })).toMatchObject({
      ok: false,
      code: "forbidden",
      message: "Only an owner can make someone an owner.",
    });
    expect(await changeMemberRole({ membershipId: t.membershipOf(t.adm.id), role: "owner", actor: adm })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    expect(await roleOf(t.account.id, t.own.id)).toBe("owner");
    expect(await roleOf(t.account.id, t.adm.id)).toBe("admin");

    expect(await changeMemberRole({ membershipId: t.membershipOf(t.vie.id), role: "developer", actor: adm })).toMatchObject({ ok: true });
    expect(await removeMember({ membershipId: t.membershipOf(t.dev.id), actor: adm })).toMatchObject({ ok: true });
    expect(await roleOf(t.account.id, t.dev.id)).toBeNull();
    expect(await auditOf(t.account.id)).toEqual([
      ["member.role", t.adm.id, "vie@example.com"],
      ["member.remove", t.adm.id, "dev@example.com"],
    ]);
  });

  it("developers and viewers cannot manage members but can leave", async () => {
    const t = await team();
    for (const actor of [t.dev, t.vie]) {
      const result = await changeMemberRole({ membershipId: t.membershipOf(t.adm.id), role: "viewer", actor: actorOf(actor) });
      expect(result).toMatchObject({
        ok: false,
        code: "forbidden",
        message: expect.stringMatching(/^Your role in this account \((Developer|Viewer)\) cannot/),
      });
      expect(await removeMember({ membershipId: t.membershipOf(t.adm.id), actor: actorOf(actor) })).toMatchObject({
        ok: false,
        code: "forbidden",
      });
    }
    expect(await leaveAccount({ accountId: t.account.id, actor: actorOf(t.vie) })).toMatchObject({ ok: true });
    expect(await removeMember({ membershipId: t.membershipOf(t.dev.id), actor: actorOf(t.dev) })).toMatchObject({ ok: true }); // removing oneself = leaving
    expect(await auditOf(t.account.id)).toEqual([
      ["member.leave", t.vie.id, "vie@example.com"],
      ["member.leave", t.dev.id, "dev@example.com"],
    ]);
  });

  it("a non-member (or a missing membership) gets not found and changes nothing", async () => {
    const t = await team();
    const other = await makeAccount("Other", [{ userId: t.out.id, role: "owner" }]);
    const notFound = { ok: false, code: "not_found", message: "Not found: it does not exist or you do not have access to it." };
    expect(await changeMemberRole({ membershipId: t.membershipOf(t.dev.id), role: "owner", actor: actorOf(t.out) })).toEqual(notFound);
    expect(await removeMember({ membershipId: t.membershipOf(t.own.id), actor: actorOf(t.out) })).toEqual(notFound);
    expect(await leaveAccount({ accountId: t.account.id, actor: actorOf(t.out) })).toEqual(notFound);
    expect(await changeMemberRole({ membershipId: 99_999, role: "viewer", actor: actorOf(t.own) })).toEqual(notFound);
    // Acme's owner cannot touch Other's membership through its id.
    expect(await removeMember({ membershipId: other.membershipOf(t.out.id), actor: actorOf(t.own) })).toEqual(notFound);
    expect(await roleOf(t.account.id, t.dev.id)).toBe("developer");
    expect(await roleOf(other.account.id, t.out.id)).toBe("owner");
    expect(await auditOf(t.account.id)).toEqual([]);
  });

  it("a demoted admin's next action is refused at once (the role is read in the transaction)", async () => {
    const t = await team();
    expect(await changeMemberRole({ membershipId: t.membershipOf(t.adm.id), role: "viewer", actor: actorOf(t.own) })).toMatchObject({
      ok: true,
    });
    expect(await removeMember({ membershipId: t.membershipOf(t.dev.id), actor: actorOf(t.adm) })).toMatchObject({
      ok: false,
      message: "Your role in this account (Viewer) cannot remove members. Ask an owner or admin.",
    });
    expect(await roleOf(t.account.id, t.dev.id)).toBe("developer");
  });

  // SQLite's lock; on PostgreSQL the same rule rests on SERIALIZABLE, proven by the two-process tests below.
  it.skipIf(dialect() === "postgres")(
    "SQLite: holds the write lock from the checks to the write (another connection cannot begin a write meanwhile)",
    async () => {
      const t = await team();
      await changeMemberRole({ membershipId: t.membershipOf(t.adm.id), role: "owner", actor: actorOf(t.own) });
      const other = new Database(databaseFile());
      other.pragma("busy_timeout = 0");
      let blocked: unknown = null;
      try {
        const result = await changeMemberRole(
          { membershipId: t.membershipOf(t.adm.id), role: "admin", actor: actorOf(t.own) },
          {
            afterCheck: () => {
              try {
                other.exec("BEGIN IMMEDIATE");
                other.exec("ROLLBACK");
              } catch (err) {
                blocked = err;
              }
            },
          },
        );
        expect(result).toMatchObject({ ok: true });
      } finally {
        other.close();
      }
      expect(blocked).toMatchObject({ code: "SQLITE_BUSY" });
    },
  );

  describe("two processes at the same moment", () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const tsx = path.join(root, "node_modules", ".bin", "tsx");
    // lib/auth/roles (the role lookup the people logic uses) is marked `server-only`; the worker runs outside Next,
    // so it resolves packages as the server does (the marker's `react-server` export is empty).
    const nodeFlags = ["--conditions=react-server"];

    async function together(jobs: object[]): Promise<{ result: MemberResult; started: number; finished: number }[]> {
      const startAt = Date.now() + 2500; // both workers have opened the database by then
      const outputs = await Promise.all(
        jobs.map((job) =>
          run(tsx, [...nodeFlags, "lib/testing/member-race-worker.ts", JSON.stringify({ ...job, startAt, pauseMs: 300 })], {
            cwd: root,
            env: { PATH: process.env.PATH, DATA_DIR: temp.dir, DATABASE_URL: process.env.DATABASE_URL, NODE_ENV: "test" },
          }),
        ),
      );
      return outputs.map((o) => JSON.parse(o.stdout.trim().split("\n").pop()!));
    }

    it("two owners demoting each other leave exactly one owner", async () => {
      const a = await makeUser("a@example.com");
      const b = await makeUser("b@example.com");
      const { account, membershipOf } = await makeAccount("Duo", [
        { userId: a.id, role: "owner" },
        { userId: b.id, role: "owner" },
      ]);
      const [ra, rb] = await together([
        { op: "role", membershipId: membershipOf(b.id), role: "admin", actor: actorOf(a) },
        { op: "role", membershipId: membershipOf(a.id), role: "admin", actor: actorOf(b) },
      ]);
      // They really overlapped: each started before the other finished (one waited for the other's write lock).
      expect(ra.started).toBeLessThan(rb.finished);
      expect(rb.started).toBeLessThan(ra.finished);
      expect([ra.result.ok, rb.result.ok].sort()).toEqual([false, true]);
      expect(await owners(account.id)).toBe(1);
      expect((await auditOf(account.id)).filter(([action]) => action === "member.role")).toHaveLength(1);
    }, 30_000);

    it("two owners leaving at once: one leaves, the other stays owner", async () => {
      const a = await makeUser("a@example.com");
      const b = await makeUser("b@example.com");
      const { account } = await makeAccount("Duo", [
        { userId: a.id, role: "owner" },
        { userId: b.id, role: "owner" },
      ]);
      const [ra, rb] = await together([
        { op: "leave", accountId: account.id, actor: actorOf(a) },
        { op: "leave", accountId: account.id, actor: actorOf(b) },
      ]);
      expect([ra.result.ok, rb.result.ok].sort()).toEqual([false, true]);
      expect([ra.result, rb.result].find((r) => !r.ok)).toMatchObject({ code: "last_owner" });
      expect(await owners(account.id)).toBe(1);
    }, 30_000);
  });
});
