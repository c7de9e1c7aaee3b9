import "server-only";
import { deleteApplication } from "@/lib/applications/settings";
import { actorOf } from "@/lib/actions";
import { apiAccount, apiApplication } from "../access";
import { defineOperation } from "../operation";
import { linkHeader, page, pageQuerySchema } from "../pagination";
import { ApiProblem, notFoundProblem } from "../problem";
import { applicationSchema, applicationSummarySchema, domainClaimSchema } from "../schemas";
import { applicationsPage, toApplication, toApplicationSummaries, toDomainClaim } from "../serialize";
import { z } from "../zod";
import { applicationFields, createApplicationForCaller } from "./create-application";
import { accountParams, applicationParams } from "./params";

// Applications (Section: ApplicationApiController): list, create, get, delete.

export const applicationOperations = [
  defineOperation({
    operationId: "applicationList",
    method: "get",
    path: "/account/{accountId}/application",
    tags: ["Application"],
    summary: "The account's applications, oldest first (paginated).",
    params: accountParams,
    query: pageQuerySchema,
    responses: { 200: { description: "The account's applications", schema: z.array(applicationSummarySchema), headers: linkHeader } },
    handle: async ({ caller, params, query, url }) => {
      const access = await apiAccount(caller, params.accountId, "account.read", "see applications");
      const rows = await applicationsPage(access.account.id, Number(query.cursor ?? 0), query.limit);
      const { items, headers } = page(rows, query.limit, url, (a) => a.id);
      return { status: 200, body: await toApplicationSummaries(items), headers };
    },
  }),

  defineOperation({
    operationId: "applicationCreate",
    method: "post",
    path: "/account/{accountId}/application/create",
    tags: ["Application"],
    summary: "Creates an application: its Production environment, domain and repository, as one unit (docs/product.md §3.3).",
    params: accountParams,
    write: true,
    body: z.strictObject(applicationFields).openapi("ApplicationCreateRequest"),
    description:
      "A hostname another account holds is not refused: the application is created with a claim on it instead of the domain, and the answer is 202 with the application and `claim` (the TXT record `_edge-challenge.<hostname>` to publish; docs/product.md §3.5). A hostname used in the same account is a 409.",
    problems: ["conflict"],
    responses: {
      200: { description: "The new application", schema: applicationSchema },
      202: {
        description: "The application was created; its hostname is held by another account, so a claim was made",
        schema: z.strictObject({ ...applicationSchema.shape, claim: domainClaimSchema }).openapi("ApplicationCreatedWithClaim"),
      },
    },
    handle: async ({ caller, params, body }) => {
      const access = await apiAccount(caller, params.accountId, "application.create", "create applications");
      const created = await createApplicationForCaller(caller, { id: access.account.id }, body);
      const application = await toApplication(created.application);
      if (created.claim) return { status: 202, body: { ...application, claim: toDomainClaim(created.claim) } };
      return { status: 200, body: application };
    },
  }),

  defineOperation({
    operationId: "applicationGet",
    method: "get",
    path: "/account/{accountId}/application/{applicationId}",
    tags: ["Application"],
    summary: "One application with its environments and clone URL.",
    params: applicationParams,
    responses: { 200: { description: "The application object", schema: applicationSchema } },
    handle: async ({ caller, params }) => {
      const { application } = await apiApplication(caller, params.accountId, params.applicationId, "account.read", "see this application");
      return { status: 200, body: await toApplication(application) };
    },
  }),

  defineOperation({
    operationId: "applicationDelete",
    method: "delete",
    path: "/account/{accountId}/application/{applicationId}",
    tags: ["Application"],
    summary: "Deletes an application (owners and admins): frees its hostnames and archives its repository.",
    params: applicationParams,
    write: true,
    problems: ["conflict"],
    responses: { 204: { description: "Deleted" } },
    handle: async ({ caller, params }) => {
      const { application, user } = await apiApplication(
        caller,
        params.accountId,
        params.applicationId,
        "application.delete",
        "delete applications",
      );
      // The DELETE request is the confirmation the console asks to be typed.
      const result = await deleteApplication({ applicationId: application.id, actor: actorOf(user), confirmation: application.name });
      if (!result.ok) {
        if (result.code === "not_found") throw notFoundProblem();
        throw new ApiProblem(result.code === "forbidden" ? "forbidden" : "conflict", result.message);
      }
      return { status: 204 };
    },
  }),
];
