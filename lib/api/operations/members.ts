import "server-only";
import { and, asc, eq, gt } from "drizzle-orm";
import { getDb, first } from "@/db";
import { memberships, ROLES, users } from "@/db/schema";
import { emailField } from "@/lib/auth/email";
import { roleLabel } from "@/lib/auth/permissions";
import { displayName } from "@/lib/auth/session";
import { createInvitation } from "@/lib/invitations/manage";
import type { Refusal } from "@/lib/members/common";
import { changeMemberRole, removeMember } from "@/lib/members/manage";
import { clientIp, consumeRateLimit } from "@/lib/rate-limit";
import { apiAccount, requireWritableToken, type ApiCaller } from "../access";
import { defineOperation } from "../operation";
import { linkHeader, page, pageQuerySchema } from "../pagination";
import { ApiProblem, notFoundProblem, validationProblem } from "../problem";
import { accountUserActionResultSchema, accountUserSchema, accountUserUpdateResultSchema, roleSchema } from "../schemas";
import { z } from "../zod";
import { accountParams, userParams } from "./params";

// Members (Section: UserApiController): list, invite by email with a role, change a role (`accountCapability`,
// carrying our role names), remove. lib/members and lib/invitations decide every rule (admins never act on owners,
// an account keeps an owner) inside their transactions; the API maps their refusals to problems.

type MemberRow = { membershipId: number; userId: number; name: string | null; email: string; role: (typeof ROLES)[number]; joinedAt: Date };

const memberColumns = {
  membershipId: memberships.id,
  userId: users.id,
  name: users.name,
  email: users.email,
  role: memberships.role,
  joinedAt: memberships.createdAt,
};

function toAccountUser(m: MemberRow): z.infer<typeof accountUserSchema> {
  return {
    id: m.userId,
    email: m.email,
    first_name: displayName(m),
    last_name: "",
    accountCapability: m.role,
    joined_at: m.joinedAt.toISOString(),
  };
}

async function memberOf(accountId: number, userId: number): Promise<MemberRow | undefined> {
  return first(
    getDb()
      .select(memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.accountId, accountId), eq(memberships.userId, userId))),
  );
}

function refusal(result: Refusal): never {
  if (result.code === "not_found") throw notFoundProblem();
  if (result.code === "forbidden") throw new ApiProblem("forbidden", result.message);
  if (result.code === "last_owner") throw new ApiProblem("conflict", result.message);
  throw validationProblem([{ field: result.field === "role" ? "accountCapability" : (result.field ?? ""), message: result.message }]);
}

const actor = (caller: ApiCaller) => ({ id: caller.user.id, name: displayName(caller.user) });

export const memberOperations = [
  defineOperation({
    operationId: "accountUserList",
    method: "get",
    path: "/account/{accountId}/user",
    tags: ["User"],
    summary: "The account's members with their roles (paginated, by membership).",
    params: accountParams,
    query: pageQuerySchema,
    responses: { 200: { description: "List of users", schema: z.array(accountUserSchema), headers: linkHeader } },
    handle: async ({ caller, params, query, url }) => {
      const { account } = await apiAccount(caller, params.accountId, "account.read", "see members");
      const rows = await getDb()
        .select(memberColumns)
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.accountId, account.id), gt(memberships.id, Number(query.cursor ?? 0))))
        .orderBy(asc(memberships.id))
        .limit(query.limit + 1);
      const { items, headers } = page(rows, query.limit, url, (m) => m.membershipId);
      return { status: 200, body: items.map(toAccountUser), headers };
    },
  }),

  defineOperation({
    operationId: "accountUserInvitePost",
    method: "post",
    path: "/account/{accountId}/user",
    tags: ["User"],
    summary: "Invites an email address with a role; the invitation is mailed (an address already invited gets a new link).",
    params: accountParams,
    write: true,
    body: z
      .strictObject({
        email: emailField.meta({ description: "The address to invite (compared ignoring case)." }),
        accountCapability: roleSchema
          .default("viewer")
          .openapi({ description: "The role to give (default viewer). Admins cannot invite owners." }),
      })
      .openapi("AccountUserInviteRequest"),
    problems: ["rate-limited"],
    responses: { 200: { description: "Action response", schema: accountUserActionResultSchema } },
    handle: async ({ caller, params, body, request }) => {
      const { account } = await apiAccount(caller, params.accountId, "members.manage", "invite members");
      const limit = await consumeRateLimit("invite", { ip: clientIp(request.headers), email: caller.user.email });
      if (!limit.ok) throw new ApiProblem("rate-limited", limit.message, { headers: { "retry-after": String(limit.retryAfterSeconds) } });
      const result = await createInvitation({
        accountId: account.id,
        actor: actor(caller),
        email: body.email,
        role: body.accountCapability,
      });
      if (!result.ok) refusal(result);
      const { invitation } = result;
      return {
        status: 200,
        body: {
          success: true,
          message: result.mailed
            ? `Invitation sent to ${invitation.email} (as ${roleLabel(invitation.role)}).`
            : `The invitation for ${invitation.email} was saved, but the mail could not be sent.`,
          invitation: {
            id: invitation.id,
            email: invitation.email,
            role: invitation.role,
            expires_at: invitation.expiresAt.toISOString(),
            mailed: result.mailed,
          },
        },
      };
    },
  }),

  defineOperation({
    operationId: "accountUserGet",
    method: "get",
    path: "/account/{accountId}/user/{userId}",
    tags: ["User"],
    summary: "One member of the account.",
    params: userParams,
    responses: { 200: { description: "The member", schema: accountUserSchema } },
    handle: async ({ caller, params }) => {
      const { account } = await apiAccount(caller, params.accountId, "account.read", "see members");
      const member = await memberOf(account.id, params.userId);
      if (!member) throw notFoundProblem();
      return { status: 200, body: toAccountUser(member) };
    },
  }),

  defineOperation({
    operationId: "accountUserUpdate",
    method: "post",
    path: "/account/{accountId}/user/{userId}",
    tags: ["User"],
    summary: "Changes a member's role (`accountCapability`). Admins never act on owners; an account keeps at least one owner.",
    params: userParams,
    write: true,
    body: z.strictObject({ accountCapability: roleSchema }).openapi("AccountUserUpdateParams"),
    problems: ["conflict"],
    responses: { 200: { description: "Action response", schema: accountUserUpdateResultSchema } },
    handle: async ({ caller, params, body }) => {
      const { account } = await apiAccount(caller, params.accountId, "members.manage", "change roles");
      const member = await memberOf(account.id, params.userId);
      if (!member) throw notFoundProblem();
      const result = await changeMemberRole({ membershipId: member.membershipId, role: body.accountCapability, actor: actor(caller) });
      if (!result.ok) refusal(result);
      const after = (await memberOf(account.id, params.userId)) ?? member;
      return {
        status: 200,
        body: {
          success: true,
          message: result.changed ? `Role changed to ${roleLabel(after.role)}.` : "The role is unchanged.",
          user: toAccountUser(after),
        },
      };
    },
  }),

  defineOperation({
    operationId: "accountUserRemove",
    method: "delete",
    path: "/account/{accountId}/user/{userId}",
    tags: ["User"],
    summary: "Removes a member from the account (removing oneself is leaving). Never the last owner.",
    params: userParams,
    write: true,
    problems: ["conflict"],
    responses: { 200: { description: "Action response", schema: accountUserActionResultSchema } },
    handle: async ({ caller, params }) => {
      const self = params.userId === caller.user.id;
      const { account } = await apiAccount(caller, params.accountId, self ? "account.read" : "members.manage", "remove members");
      if (self) requireWritableToken(caller, "leave the account");
      const member = await memberOf(account.id, params.userId);
      if (!member) throw notFoundProblem();
      const result = await removeMember({ membershipId: member.membershipId, actor: actor(caller) });
      if (!result.ok) refusal(result);
      return { status: 200, body: { success: true, message: self ? "You left the account." : "Member removed." } };
    },
  }),
];
