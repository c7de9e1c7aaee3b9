import { dialect, writeTransaction, one } from "@/db";
import { rawWriteTransaction } from "@/db/raw";
import { accounts, applications, domains, environments, type DomainStatus } from "@/db/schema";

// Test and bench set-up for the operator view: accounts with one application each, and domains written straight
// to the database (the triggers of migration 0004 keep the counters as for any other write).

/** Inserts an account with one application and its Production environment; returns their ids. */
export async function makeAccountWithApp(name: string) {
  return writeTransaction(async (db) => {
    const accountId = (await one(db.insert(accounts).values({ name }).returning())).id;
    const applicationId = (
      await one(
        db
          .insert(applications)
          .values({ accountId, name: `${name} app`, repoName: "site", repoDir: `repo-${accountId}`, stackId: "varnish" })
          .returning(),
      )
    ).id;
    const environmentId = (await one(db.insert(environments).values({ accountId, applicationId, name: "Production" }).returning())).id;
    return { accountId, applicationId, environmentId };
  });
}

/** Inserts one domain of `env` with `status` (and `flagged`); returns the row. */
export async function makeDomain(
  env: { accountId: number; applicationId: number; environmentId: number },
  hostname: string,
  set: { status?: DomainStatus; flagged?: boolean; hostnameUnicode?: string; nextCheckAt?: Date } = {},
) {
  return writeTransaction((tx) =>
    one(
      tx
        .insert(domains)
        .values({ ...env, hostname, hostnameUnicode: set.hostnameUnicode ?? hostname, isApex: false, verificationToken: "t", ...set })
        .returning(),
    ),
  );
}

/**
 * Fills the database by raw SQL with `accounts` accounts (one application each) and `domains` domains spread over
 * them round-robin: hostnames `d000001.a7.test`…, statuses cycling pending/live/misconfigured/nxdomain/error, one
 * misconfigured domain in ten flagged. One recursive-CTE statement per table (100,000 domains in about a second), on
 * either database.
 */
export async function fillDomains(params: { accounts: number; domains: number }): Promise<void> {
  const postgres = dialect() === "postgres";
  // d0000042.a7.test: SQLite's printf, PostgreSQL's lpad.
  const hostname = postgres
    ? "'d' || lpad(i::text, 7, '0') || '.a' || (cast(? as integer) + 1 + i % ?)::text || '.test'"
    : "printf('d%07d.a%d.test', i, cast(? as integer) + 1 + i % ?)";
  await rawWriteTransaction(async (db) => {
    const [{ n: base }] = await db.rows<{ n: number }>("select coalesce(max(id), 0) as n from accounts");
    await db.run(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
       insert into accounts (id, name) select cast(? as integer) + i, 'Account ' || (cast(? as integer) + i) from n`,
      [params.accounts, base, base],
    );
    // Explicit ids leave PostgreSQL's identity sequence behind: move it past them.
    if (postgres) await db.run("select setval(pg_get_serial_sequence('accounts', 'id'), (select max(id) from accounts))");
    await db.run(
      `insert into applications (account_id, name, repo_name, repo_dir, stack_id)
       select id, 'App of ' || name, 'site', 'fill-' || id, 'varnish' from accounts where id > ?`,
      [base],
    );
    await db.run(
      `insert into environments (account_id, application_id, name) select account_id, id, 'Production' from applications where account_id > ?`,
      [base],
    );
    await db.run(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?)
       insert into domains (account_id, application_id, environment_id, hostname, hostname_unicode, is_apex, verification_token, status, flagged, last_checked_at)
       select e.account_id, e.application_id, e.id, h, h, 0, 't', s, case when s = 'misconfigured' and i % 50 = 2 then 1 else 0 end,
              case when s = 'pending' then null else 1764500000000 + i end
       from (select i, ${hostname} as h, cast(? as integer) + 1 + i % ? as acc,
                    case i % 5 when 0 then 'pending' when 1 then 'live' when 2 then 'misconfigured' when 3 then 'nxdomain' else 'error' end as s
             from n) as generated join environments e on e.account_id = acc`,
      [params.domains, base, params.accounts, base, params.accounts],
    );
  });
}
