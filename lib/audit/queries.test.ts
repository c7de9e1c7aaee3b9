import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTransaction, one } from "@/db";
import { accounts, users } from "@/db/schema";
import { recordAudit } from "@/lib/audit/record";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { listAuditEvents, listAuditFacets } from "./queries";

describe("audit log queries", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let accountId: number;
  let otherAccountId: number;
  let userId: number;
  beforeAll(async () => {
    temp = makeTempDataDir();
    await writeTransaction(async (db) => {
      userId = (await one(db.insert(users).values({ email: "ann@example.com", passwordHash: "x", name: "Ann" }).returning())).id;
      accountId = (await one(db.insert(accounts).values({ name: "Acme" }).returning())).id;
      otherAccountId = (await one(db.insert(accounts).values({ name: "Other" }).returning())).id;
      for (let i = 0; i < 7; i++) {
        await recordAudit(db, {
          accountId,
          actor: { id: userId, name: "Ann" },
          action: i % 2 ? "member.role" : "application.create",
          targetType: "x",
          targetLabel: `t${i}`,
        });
      }
      await recordAudit(db, { accountId, actor: null, action: "domain.status", targetType: "domain", targetLabel: "www.acme.test" });
      await recordAudit(db, {
        accountId: otherAccountId,
        actor: { id: userId, name: "Ann" },
        action: "member.role",
        targetType: "x",
        targetLabel: "other",
      });
    });
  });
  afterAll(() => temp.cleanup());

  it("pages newest first without gaps or repeats, and only within the account", async () => {
    const first = await listAuditEvents({ accountId, limit: 3 });
    expect(first.rows.map((r) => r.targetLabel)).toEqual(["www.acme.test", "t6", "t5"]);
    const second = await listAuditEvents({ accountId, limit: 3, before: first.nextBefore });
    const third = await listAuditEvents({ accountId, limit: 3, before: second.nextBefore });
    const all = [...first.rows, ...second.rows, ...third.rows].map((r) => r.targetLabel);
    expect(all).toEqual(["www.acme.test", "t6", "t5", "t4", "t3", "t2", "t1", "t0"]);
    expect(third.nextBefore).toBeNull();
  });

  it("filters by kind area, exact kind and actor (the platform is actor 0)", async () => {
    expect((await listAuditEvents({ accountId, kind: "member" })).rows).toHaveLength(3);
    expect((await listAuditEvents({ accountId, kind: "application.create" })).rows).toHaveLength(4);
    expect((await listAuditEvents({ accountId, actor: 0 })).rows.map((r) => r.action)).toEqual(["domain.status"]);
    expect((await listAuditEvents({ accountId, actor: userId })).rows).toHaveLength(7);
    const facets = await listAuditFacets({ accountId });
    expect(facets.kinds).toEqual(["application.create", "domain.status", "member.role"]);
    expect(facets.actors.map((a) => a.name).sort()).toEqual(["Ann", "Edge Console"]);
  });
});
