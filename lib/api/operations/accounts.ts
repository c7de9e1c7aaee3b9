import "server-only";
import { asc, inArray, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { applications, environments } from "@/db/schema";
import { listAccountsOfUser } from "@/lib/accounts/queries";
import { accountNameField } from "@/lib/accounts/fields";
import { blocksUser } from "@/lib/two-factor/requirement";
import { apiAccount, requireWritableToken, type ApiCaller } from "../access";
import { defineOperation } from "../operation";
import { accountGraphSchema, accountSchema, createAccountResponseSchema, domainClaimSchema } from "../schemas";
import { hrefs, toAccount, toDomainClaim } from "../serialize";
import { z } from "../zod";
import { accountRow, applicationFields, createApplicationForCaller } from "./create-application";
import { accountParams } from "./params";

// Accounts (Section: AccountApiController): the token user's accounts, their graph, one account, and creating an
// account together with its first application.

/** `blocksUser` (the rule `lookupAccount` refuses with `two-factor-required`) for the token's user read this request. */
function blockedFor(caller: ApiCaller, account: { requireTwoFactor: boolean }): boolean {
  return blocksUser(account, caller.user);
}

export const accountOperations = [
  defineOperation({
    operationId: "accountList",
    method: "get",
    path: "/account",
    tags: ["Account"],
    summary: "The accounts of the token's user, with their role in each.",
    description:
      "An account that requires two-factor authentication the user has not turned on is listed with `blocked: true` (docs/product.md §3.2).",
    responses: { 200: { description: "Available accounts", schema: z.array(accountSchema) } },
    handle: async ({ caller }) => ({
      status: 200,
      body: (await listAccountsOfUser({ userId: caller.user.id })).map((a) => toAccount(a, a.role, blockedFor(caller, a))),
    }),
  }),

  defineOperation({
    operationId: "accountGraph",
    method: "get",
    path: "/account/graph",
    tags: ["Account"],
    summary: "The token user's accounts with their applications and environments.",
    description:
      "An account that requires two-factor authentication the user has not turned on is listed with `blocked: true` and no applications (docs/product.md §3.2).",
    responses: { 200: { description: "Accounts, applications and environments", schema: z.array(accountGraphSchema) } },
    handle: async ({ caller }) => {
      const accounts = await listAccountsOfUser({ userId: caller.user.id });
      // Nothing of a blocked account is read: the same rule as every other operation on it (lookupAccount).
      const ids = accounts.filter((a) => !blockedFor(caller, a)).map((a) => a.id);
      const db = getDb();
      const apps = ids.length
        ? await db.select().from(applications).where(inArray(applications.accountId, ids)).orderBy(asc(applications.id))
        : [];
      const envs = ids.length
        ? await db
            .select()
            .from(environments)
            .where(inArray(environments.accountId, ids))
            .orderBy(sql`${environments.name} <> 'Production'`, asc(environments.name))
        : [];
      const body = accounts.map((a) => ({
        id: a.id,
        href: hrefs.account(a.id),
        account_name: a.name,
        requires_2fa: a.requireTwoFactor,
        blocked: blockedFor(caller, a),
        applications: apps
          .filter((app) => app.accountId === a.id)
          .map((app) => ({
            id: app.id,
            href: hrefs.application(a.id, app.id),
            application_name: app.name,
            environments: envs.filter((e) => e.applicationId === app.id).map((e) => ({ id: e.id, environment_name: e.name })),
          })),
      }));
      return { status: 200, body };
    },
  }),

  defineOperation({
    operationId: "accountCreate",
    method: "post",
    path: "/account/create",
    tags: ["Account"],
    summary: "Creates an account (the token's user is its owner) and its first application, as one unit.",
    description:
      "The application gets its Production environment, domain and repository (docs/product.md §3.3); if any part fails, nothing is left.",
    write: true,
    body: z
      .strictObject({ name: accountNameField.meta({ description: "Account name (1–80 characters)." }), ...applicationFields })
      .openapi("AccountCreateRequest"),
    problems: ["conflict"],
    responses: {
      200: { description: "The new account and its application", schema: createAccountResponseSchema },
      202: {
        description:
          "The account and its application were created; the hostname is held by another account, so a claim was made (the TXT record to publish is in `claim`; docs/product.md §3.5)",
        schema: z.strictObject({ ...createAccountResponseSchema.shape, claim: domainClaimSchema }).openapi("AccountCreatedWithClaim"),
      },
    },
    handle: async ({ caller, body }) => {
      requireWritableToken(caller, "create accounts");
      const created = await createApplicationForCaller(caller, { newName: body.name }, body);
      const account = (await accountRow(created.account.id)) ?? created.account;
      const claim = created.claim ? { claim: toDomainClaim(created.claim) } : {};
      return {
        status: created.claim ? 202 : 200,
        body: {
          ...claim,
          id: account.id,
          href: hrefs.account(account.id),
          account_name: account.name,
          applications: [
            {
              id: created.application.id,
              href: hrefs.application(account.id, created.application.id),
              application_name: created.application.name,
            },
          ],
        },
      };
    },
  }),

  defineOperation({
    operationId: "accountGet",
    method: "get",
    path: "/account/{accountId}",
    tags: ["Account"],
    summary: "One account.",
    params: accountParams,
    responses: { 200: { description: "The account object", schema: accountSchema } },
    handle: async ({ caller, params }) => {
      const access = await apiAccount(caller, params.accountId, "account.read", "see this account");
      return { status: 200, body: toAccount(access.account, access.role, false) };
    },
  }),
];
