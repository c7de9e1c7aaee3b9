import "server-only";
import { eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { accounts, applications, domains, environments } from "@/db/schema";
import { toId } from "@/lib/auth/access";
import type { ResourceLoader } from "./index";
import type { ApplicationRow, DomainRow, EnvironmentRow } from "@/db/types";

// The resources a server action can act on, each loaded from one id of the form; the owning account is read from the
// row (docs/product.md §2: the account is derived from the resource, never trusted from the client). A malformed id
// ("1e0", "01", "-1") loads nothing, like a missing row.

type Application = ApplicationRow;
type Environment = EnvironmentRow;
type Domain = DomainRow;

/** The account named by `pick(input)` (account-level actions: rename, members, settings). */
export function accountResource<I>(pick: (input: I) => unknown): ResourceLoader<I, { accountId: number }> {
  return async (input) => {
    const id = toId(pick(input));
    if (id === null) return null;
    const row = await first(getDb().select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id)));
    return row ? { accountId: row.id, value: { accountId: row.id } } : null;
  };
}

/** The application named by `pick(input)`. */
export function applicationResource<I>(pick: (input: I) => unknown): ResourceLoader<I, { application: Application }> {
  return async (input) => {
    const id = toId(pick(input));
    if (id === null) return null;
    const application = await first(getDb().select().from(applications).where(eq(applications.id, id)));
    return application ? { accountId: application.accountId, value: { application } } : null;
  };
}

/** The environment named by `pick(input)`, with its application. */
export function environmentResource<I>(
  pick: (input: I) => unknown,
): ResourceLoader<I, { application: Application; environment: Environment }> {
  return async (input) => {
    const id = toId(pick(input));
    if (id === null) return null;
    const row = await first(
      getDb()
        .select({ environment: environments, application: applications })
        .from(environments)
        .innerJoin(applications, eq(applications.id, environments.applicationId))
        .where(eq(environments.id, id)),
    );
    return row ? { accountId: row.application.accountId, value: row } : null;
  };
}

/** The domain named by `pick(input)`, with its environment and application. */
export function domainResource<I>(
  pick: (input: I) => unknown,
): ResourceLoader<I, { application: Application; environment: Environment; domain: Domain }> {
  return async (input) => {
    const id = toId(pick(input));
    if (id === null) return null;
    const row = await first(
      getDb()
        .select({ domain: domains, environment: environments, application: applications })
        .from(domains)
        .innerJoin(environments, eq(environments.id, domains.environmentId))
        .innerJoin(applications, eq(applications.id, domains.applicationId))
        .where(eq(domains.id, id)),
    );
    return row ? { accountId: row.application.accountId, value: row } : null;
  };
}
