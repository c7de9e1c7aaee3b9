import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first, one } from "@/db";
import { accounts, auditEvents, domains, memberships, users } from "@/db/schema";
import { createApplication, type Application, type Environment } from "@/lib/applications/create";
import type { Actor } from "@/lib/repositories/changes";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { addDomain, HOSTNAME_TAKEN, removeDomain } from "./manage";

const host = (name: string) => ({ hostname: name, unicode: name, isApex: false });

describe("add and remove domains (temp SQLite, real repositories)", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  const people: { actor: Actor; app: Application; env: Environment }[] = [];

  beforeEach(async () => {
    temp = makeTempDataDir("ec-dom-");
    people.length = 0;
    for (const [i, role] of [
      ["a", "developer"],
      ["b", "owner"],
    ] as const) {
      const { user, account } = await writeTransaction(async (db) => {
        const user = await one(
          db
            .insert(users)
            .values({ email: `${i}@example.com`, name: i, passwordHash: "x" })
            .returning(),
        );
        const account = await one(
          db
            .insert(accounts)
            .values({ name: `Account ${i}` })
            .returning(),
        );
        await db.insert(memberships).values({ userId: user.id, accountId: account.id, role });
        return { user, account };
      });
      const actor = { id: user.id, name: i, email: `${i}@example.com` };
      const created = await createApplication({
        actor,
        account: { id: account.id },
        hostname: host(`www.${i}.example.com`),
        origin: { address: "203.0.113.7", protocol: "https", port: 443 },
        stackId: "varnish",
        ownershipRequired: false,
      });
      if (!created.ok) throw new Error(created.message);
      people.push({ actor, app: created.application, env: created.environment });
    }
  });
  afterEach(() => temp.cleanup());

  const production = (app: Application) => people.find((p) => p.app.id === app.id)!.env;

  it("adds a domain with an audit row; a hostname used elsewhere is refused; removing frees it", async () => {
    const [a, b] = people;
    const added = await addDomain({
      environment: production(a.app),
      actor: a.actor,
      hostname: host("shop.example.com"),
      ownershipRequired: true,
    });
    expect(added.ok).toBe(true);
    if (!added.ok) return;
    expect(added.domain).toMatchObject({ accountId: a.app.accountId, status: "pending", ownershipRequired: true });
    const taken = await addDomain({
      environment: production(b.app),
      actor: b.actor,
      hostname: host("shop.example.com"),
      ownershipRequired: false,
    });
    expect(taken).toEqual({ ok: false, code: "taken", message: HOSTNAME_TAKEN });
    // The wizard's hostname counts too.
    expect(
      (await addDomain({ environment: production(b.app), actor: b.actor, hostname: host("www.a.example.com"), ownershipRequired: false }))
        .ok,
    ).toBe(false);

    // Another account's user cannot remove it; its own developer can, which frees the hostname.
    expect(await removeDomain({ domainId: added.domain.id, actor: b.actor })).toMatchObject({ ok: false, code: "not_found" });
    expect((await removeDomain({ domainId: added.domain.id, actor: a.actor })).ok).toBe(true);
    expect(await first(getDb().select().from(domains).where(eq(domains.hostname, "shop.example.com")))).toBeUndefined();
    expect(
      (await addDomain({ environment: production(b.app), actor: b.actor, hostname: host("shop.example.com"), ownershipRequired: false }))
        .ok,
    ).toBe(true);

    const actions = (await getDb().select().from(auditEvents).where(eq(auditEvents.accountId, a.app.accountId))).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["domain.add", "domain.remove"]));
  });

  it("refuses a viewer and a non-member, writing nothing", async () => {
    const [a, b] = people;
    await writeTransaction((tx) => tx.update(memberships).set({ role: "viewer" }).where(eq(memberships.userId, a.actor.id)));
    expect(
      (await addDomain({ environment: production(a.app), actor: a.actor, hostname: host("x.example.com"), ownershipRequired: false })).ok,
    ).toBe(false);
    expect(
      (await addDomain({ environment: production(a.app), actor: b.actor, hostname: host("y.example.com"), ownershipRequired: false })).ok,
    ).toBe(false);
    expect((await getDb().select().from(domains)).map((d) => d.hostname).sort()).toEqual(["www.a.example.com", "www.b.example.com"]);
  });

  it("turns a lost race on the UNIQUE constraint into `taken`", async () => {
    const [a, b] = people;
    // The winner (another process) committed first: the UNIQUE constraint, not a read, refuses the loser.
    await writeTransaction((tx) =>
      tx.insert(domains).values({
        hostname: "race.example.com",
        isApex: false,
        hostnameUnicode: "race.example.com",
        accountId: a.app.accountId,
        applicationId: a.app.id,
        environmentId: production(a.app).id,
        verificationToken: "t",
      }),
    );
    expect(
      await addDomain({ environment: production(b.app), actor: b.actor, hostname: host("race.example.com"), ownershipRequired: false }),
    ).toMatchObject({ ok: false, code: "taken" });
  });
});
