import { and, eq } from "drizzle-orm";
import { TOTP, Secret } from "otpauth";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dialect, getDb, pgPool } from "@/db";
import { domains, environments } from "@/db/schema";
import { createEmailToken, redeemVerifyEmailToken } from "@/lib/auth/email-tokens";
import { createApplication } from "@/lib/applications/create";
import { deleteApplication } from "@/lib/applications/settings";
import { resetSettings } from "@/lib/config";
import { addDomain } from "@/lib/domains/manage";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { createEnvironment } from "@/lib/environments/create";
import { makeApplication } from "@/lib/environments/fixtures";
import { consumeRateLimit } from "@/lib/rate-limit";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { confirmEnrolment, pendingEnrolment, startEnrolment } from "@/lib/two-factor/enrolment";
import { verifySignInCode } from "@/lib/two-factor/sign-in";
import { getUserById } from "@/lib/users/queries";

// The rules SQLite's single writer kept, under real concurrency (docs/architecture.md "Data"): every case starts
// its operations at once. On PostgreSQL they run on separate pooled connections in SERIALIZABLE transactions; on
// SQLite they queue behind the writer. The same outcome is required of both. (The two-process cases — last owner,
// deleting the last owner, the checker's lease — are in lib/members, lib/user-settings and lib/dns.)

const context = { ip: "203.0.113.50", userAgent: "race-test" };
const AT_ONCE = 8;

function appCode(secret: string, timestamp = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" }).generate({ timestamp });
}

async function enrol(email: string) {
  const user = await makeUser(email);
  await startEnrolment({ userId: user.id });
  const pending = await pendingEnrolment((await getUserById({ id: user.id }))!);
  const secret = pending!.manualKey.replace(/ /g, "");
  const confirmed = await confirmEnrolment({ user: (await getUserById({ id: user.id }))!, code: appCode(secret), context });
  if (!confirmed.ok) throw new Error(confirmed.message);
  return { user: (await getUserById({ id: user.id }))!, secret, codes: confirmed.recoveryCodes };
}

const okCount = (results: { ok: boolean }[]) => results.filter((r) => r.ok).length;

describe(`rules under concurrency (${dialect()})`, () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(() => {
    temp = makeTempDataDir("ec-races-");
    // Generous limits: the races below are about the rules, not the rate limits (one case below is).
    process.env.RATE_LIMIT_TWO_FACTOR_PER_IP = "1000";
    process.env.RATE_LIMIT_TWO_FACTOR_PER_EMAIL = "1000";
    resetSettings();
  });
  afterEach(() => {
    delete process.env.RATE_LIMIT_LOGIN_PER_EMAIL;
    resetSettings();
  });
  afterAll(async () => {
    await settleEdgeChanges(); // the applications' background reconciles, before their database goes
    delete process.env.RATE_LIMIT_TWO_FACTOR_PER_IP;
    delete process.env.RATE_LIMIT_TWO_FACTOR_PER_EMAIL;
    resetSettings();
    temp.cleanup();
  });

  it("accepts one TOTP code once when it is sent many times at the same moment (replay)", async () => {
    const { user, secret } = await enrol("totp-race@example.com");
    const code = appCode(secret, Date.now() + 30_000); // the next step: not the one enrolment used
    const results = await Promise.all(Array.from({ length: AT_ONCE }, () => verifySignInCode({ user, code, context })));
    expect(okCount(results)).toBe(1);
  });

  it("accepts one recovery code once when it is sent many times at the same moment", async () => {
    const { user, codes } = await enrol("recovery-race@example.com");
    const results = await Promise.all(Array.from({ length: AT_ONCE }, () => verifySignInCode({ user, code: codes[3], context })));
    expect(okCount(results)).toBe(1);
  });

  it("redeems a single-use link once when it is followed many times at the same moment", async () => {
    const user = await makeUser("link-race@example.com");
    const token = await createEmailToken({
      userId: user.id,
      kind: "verify-email",
      email: user.email,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const results = await Promise.all(Array.from({ length: AT_ONCE }, () => redeemVerifyEmailToken({ token })));
    expect(results.filter((r) => r.status === "valid")).toHaveLength(1);
  });

  it("gives a hostname to one environment when two accounts add it at the same moment", async () => {
    const a = await makeApplication("racea");
    const b = await makeApplication("raceb");
    const production = async (applicationId: number) =>
      (
        await getDb()
          .select()
          .from(environments)
          .where(and(eq(environments.applicationId, applicationId), eq(environments.name, "Production")))
      )[0];
    const envs = [await production(a.app.id), await production(b.app.id)];
    const hostname = { hostname: "contested.example.com", unicode: "contested.example.com", isApex: false };
    const results = await Promise.all(
      Array.from({ length: AT_ONCE }, (_, i) =>
        addDomain({ environment: envs[i % 2], actor: [a, b][i % 2].actor("owner"), hostname, ownershipRequired: false }),
      ),
    );
    expect(okCount(results)).toBe(1);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === "taken")).toBe(true);
  });

  it("creates applications in many accounts at the same moment; a contested hostname becomes one domain and claims", async () => {
    const fixtures = await Promise.all([0, 1, 2, 3].map((i) => makeApplication(`createrace${i}`)));
    const create = (i: number, hostname: string) =>
      createApplication({
        actor: fixtures[i % fixtures.length].actor("owner"),
        account: { id: fixtures[i % fixtures.length].app.accountId },
        hostname: { hostname, unicode: hostname, isApex: false },
        origin: { address: "203.0.113.7", protocol: "https", port: 443 },
        stackId: "varnish",
        ownershipRequired: false,
      });
    // Distinct hostnames in four accounts: every creation succeeds (on PostgreSQL, none is aborted by another's
    // predicate locks beyond the retries: the soak benchmark saw 7-10 % answer 500 before).
    const distinct = await Promise.all(Array.from({ length: 4 * AT_ONCE }, (_, i) => create(i, `www${i}.createrace.example`)));
    expect(distinct.filter((r) => !r.ok)).toEqual([]);
    // One hostname, two creations in each account at once: one domain, and one claim in each other account.
    const contested = await Promise.all(Array.from({ length: 8 }, (_, i) => create(i, "contested.createrace.example")));
    const withDomain = contested.filter((r) => r.ok && r.domain);
    expect(withDomain).toHaveLength(1);
    const holder = withDomain[0].ok ? withDomain[0].account.id : 0;
    // Per account: one creation gets the domain or the claim, the other is refused (held, or claimed already: one
    // claim per account and hostname), as if they had come one after another.
    fixtures.forEach((fixture, f) => {
      const mine = contested.filter((_, i) => i % fixtures.length === f);
      const won = mine.filter((r) => r.ok);
      expect(won, JSON.stringify(mine)).toHaveLength(1);
      if (fixture.app.accountId !== holder) expect(won[0].ok && won[0].claim !== null).toBe(true);
      expect(mine.filter((r) => !r.ok)).toEqual([expect.objectContaining({ ok: false, code: "hostname_taken" })]);
    });
  });

  it("creates environments in many accounts at the same moment; a contested hostname becomes one domain and claims", async () => {
    const fixtures = await Promise.all([0, 1, 2, 3].map((i) => makeApplication(`envrace${i}`)));
    const create = (i: number, name: string, hostname: string) =>
      createEnvironment({
        application: fixtures[i % fixtures.length].app,
        actor: fixtures[i % fixtures.length].actor("owner"),
        name,
        source: "Production",
        hostname: { hostname, unicode: hostname, isApex: false },
        ownershipRequired: false,
      });
    const distinct = await Promise.all(Array.from({ length: 2 * AT_ONCE }, (_, i) => create(i, `Stage${i}`, `stage${i}.envrace.example`)));
    expect(distinct.filter((r) => !r.ok)).toEqual([]);
    const contested = await Promise.all(Array.from({ length: 8 }, (_, i) => create(i, `Contest${i}`, "contested.envrace.example")));
    const withDomain = contested.filter((r) => r.ok && r.domain);
    expect(withDomain).toHaveLength(1);
    const holder = withDomain[0].ok ? withDomain[0].environment.accountId : 0;
    // Per account: one environment gets the domain or the claim, the other is refused (held, or claimed already).
    fixtures.forEach((fixture, f) => {
      const mine = contested.filter((_, i) => i % fixtures.length === f);
      const won = mine.filter((r) => r.ok);
      expect(won, JSON.stringify(mine)).toHaveLength(1);
      if (fixture.app.accountId !== holder) expect(won[0].ok && won[0].claim !== null).toBe(true);
      expect(mine.filter((r) => !r.ok)).toEqual([expect.objectContaining({ ok: false, code: "taken", field: "hostname" })]);
    });
  });

  // PostgreSQL only: on SQLite the single writer orders a deletion wholly before or after a creation's transaction,
  // whose checks then see it. READ COMMITTED lets the deletion commit between the checks and the insert.
  it.runIf(dialect() === "postgres")(
    "answers not found (no 500) when the account or application goes while an application or environment is created",
    async () => {
      const { account, actor } = await makeApplication("vanishing");
      const other = await makeApplication("vanishing2");
      // A deletion left uncommitted holds the row; the creation's checks read it as there, its insert waits on the
      // foreign key's lock, and the deletion commits then.
      const meanwhile = async (deletion: string, id: number, creation: Promise<unknown>) => {
        const client = await pgPool().connect();
        try {
          await client.query("begin");
          await client.query(deletion, [id]);
          const settled = creation.then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
          for (let i = 0; i < 500; i++) {
            const waiting = await client.query("select 1 from pg_locks where not granted and pid <> pg_backend_pid()");
            if (waiting.rowCount) break;
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          await client.query("commit");
          return await settled;
        } finally {
          client.release();
        }
      };
      const environment = await meanwhile(
        "delete from applications where id = $1",
        other.app.id,
        createEnvironment({
          application: other.app,
          actor: other.actor("owner"),
          name: "Staging",
          source: "Production",
          hostname: { hostname: "staging.vanishing.example", unicode: "staging.vanishing.example", isApex: false },
          ownershipRequired: false,
        }),
      );
      expect(environment).toEqual({ value: { ok: false, code: "not_found", field: "name", message: "Not found." } });
      const application = await meanwhile(
        "delete from accounts where id = $1",
        account.id,
        createApplication({
          actor: actor("owner"),
          account: { id: account.id },
          hostname: { hostname: "new.vanishing.example", unicode: "new.vanishing.example", isApex: false },
          origin: { address: "203.0.113.7", protocol: "https", port: 443 },
          stackId: "varnish",
          ownershipRequired: false,
        }),
      );
      expect(application).toEqual({ value: { ok: false, code: "not_found", field: "account", message: "Account not found." } });
      expect(await getDb().select().from(environments).where(eq(environments.name, "Staging"))).toEqual([]);
    },
  );

  it("deletes an application while domains are added to it: every domain added before the deletion is in its freed list", async () => {
    const { app, actor } = await makeApplication("deleterace");
    const [production] = await getDb()
      .select()
      .from(environments)
      .where(and(eq(environments.applicationId, app.id), eq(environments.name, "Production")));
    const added = Array.from({ length: AT_ONCE }, (_, i) =>
      addDomain({
        environment: production,
        actor: actor("owner"),
        hostname: { hostname: `d${i}.deleterace.example`, unicode: `d${i}.deleterace.example`, isApex: false },
        ownershipRequired: false,
      }),
    );
    const deleted = deleteApplication({ applicationId: app.id, actor: actor("owner"), confirmation: app.name });
    const [deletion, ...adds] = await Promise.all([deleted, ...added]);
    if (!deletion.ok || !deletion.freedHostnames) throw new Error(JSON.stringify(deletion));
    const addedNames = adds.flatMap((r) => (r.ok ? [r.domain.hostname] : []));
    expect(deletion.freedHostnames.sort()).toEqual(["www.deleterace.example", ...addedNames].sort());
    expect(await getDb().select().from(domains).where(eq(domains.applicationId, app.id))).toEqual([]);
  });

  it("answers not found when an environment is created in an application deleted meanwhile (its repository archived)", async () => {
    const { app, actor } = await makeApplication("gonebefore");
    // The request read the application, then another instance deleted it (rows gone, repository in the archive).
    expect(await deleteApplication({ applicationId: app.id, actor: actor("owner"), confirmation: app.name })).toMatchObject({ ok: true });
    const created = await createEnvironment({
      application: app,
      actor: actor("owner"),
      name: "Staging",
      source: "Production",
      hostname: { hostname: "staging.gonebefore.example", unicode: "staging.gonebefore.example", isApex: false },
      ownershipRequired: false,
    });
    expect(created).toEqual({ ok: false, code: "not_found", field: "name", message: "Not found." });
  });

  it("lets exactly the limit through when many attempts arrive at the same moment", async () => {
    process.env.RATE_LIMIT_LOGIN_PER_EMAIL = "3";
    resetSettings();
    const results = await Promise.all(Array.from({ length: 10 }, () => consumeRateLimit("login", { email: "burst@example.com" })));
    expect(okCount(results)).toBe(3);
  });
});
