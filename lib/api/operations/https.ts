import "server-only";
import { actorOf } from "@/lib/actions";
import { httpsStatus, requestRenewal, returnToAcme, uploadOwnCertificate, type HttpsStatus } from "@/lib/https/store";
import { kickCertificateScheduler } from "@/lib/https/scheduler";
import { apiDomain } from "../access";
import { defineOperation } from "../operation";
import { ApiProblem, validationProblem } from "../problem";
import { z } from "../zod";
import { accountDomainParams } from "./params";

// HTTPS per domain (docs/product.md §9; Section's shapes: `…/domain/{hostName}/https`, `…/renewCertificate`): the
// status any member may read, an admin's own certificate (or back to automatic), and "Renew now". Private keys are
// accepted in a request body and never answered.

const dateOrNull = z.string().nullable().openapi({ format: "date-time" });

/** The HTTPS status of a domain as the API answers it (never a key, never the PEM). */
export const httpsStatusSchema = z
  .strictObject({
    hostname: z.string(),
    type: z.enum(["acme", "custom"]).openapi({ description: "`acme`: obtained by the console; `custom`: uploaded by an admin" }),
    status: z.enum(["none", "pending", "issued", "failed"]),
    issuer: z.string().nullable(),
    not_before: dateOrNull,
    not_after: dateOrNull,
    serial: z.string().nullable(),
    subject_alternative_names: z.array(z.string()),
    failure_reason: z.string().nullable().openapi({ description: "What to fix, when the last order failed" }),
    failure_step: z.string().nullable().openapi({ description: "`dns`, `caa`, `http`, `nodes`, `acme` or `internal`" }),
    next_try_at: dateOrNull,
    attempts: z.number().int(),
    acme_enabled: z.boolean(),
    acme_off_reason: z.string().nullable(),
    renew_blocked_until: dateOrNull,
  })
  .openapi("DomainHttps");

/** The body of `POST …/https`: an own certificate, or back to automatic certificates. */
const httpsBodySchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("custom"),
      public_certificates: z
        .string()
        .max(64 * 1024)
        .openapi({ description: "PEM chain, any order (put leaf first on upload)" }),
      private_key: z
        .string()
        .max(64 * 1024)
        .openapi({ description: "Unencrypted PEM private key of the leaf; never answered" }),
      verify_only: z.boolean().optional().default(false).openapi({ description: "Check only; store nothing" }),
    }),
    z.strictObject({ type: z.literal("acme") }),
  ])
  .openapi("DomainHttpsUpdate");

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The API form of {@link HttpsStatus}. */
export function toHttpsBody(s: HttpsStatus) {
  return {
    hostname: s.hostname,
    type: s.source,
    status: s.state,
    issuer: s.issuer,
    not_before: iso(s.notBefore),
    not_after: iso(s.notAfter),
    serial: s.serial,
    subject_alternative_names: s.sans,
    failure_reason: s.failureReason,
    failure_step: s.failureStep,
    next_try_at: iso(s.nextTryAt),
    attempts: s.attempts,
    acme_enabled: s.acmeEnabled,
    acme_off_reason: s.acmeOffMessage,
    renew_blocked_until: iso(s.renewBlockedUntil),
  };
}

export const httpsOperations = [
  defineOperation({
    operationId: "domainHttpsGet",
    method: "get",
    path: "/account/{accountId}/domain/{hostName}/https",
    tags: ["Domain", "HTTPS"],
    summary: "A domain's HTTPS status: issuer and expiry, or why the last order failed and when the next try is.",
    params: accountDomainParams,
    responses: { 200: { description: "HTTPS status", schema: httpsStatusSchema } },
    handle: async ({ caller, params }) => {
      const { domain } = await apiDomain(caller, params.accountId, params.hostName, "account.read", "see domains");
      return { status: 200, body: toHttpsBody(await httpsStatus(domain)) };
    },
  }),

  defineOperation({
    operationId: "domainHttpsUpdate",
    method: "post",
    path: "/account/{accountId}/domain/{hostName}/https",
    tags: ["Domain", "HTTPS"],
    summary: "Uploads the domain's own certificate (`type: custom`), or returns it to automatic certificates (`type: acme`).",
    description:
      "An own certificate is refused (400, one message per field) unless the key matches it, it covers the hostname (a wildcard covers one label) and it has not expired; a chain in another order is put leaf first. It is used instead of ACME until removed. `verify_only: true` checks without storing. The private key is never answered.",
    params: accountDomainParams,
    body: httpsBodySchema,
    write: true,
    responses: { 200: { description: "HTTPS status after the change", schema: httpsStatusSchema } },
    handle: async ({ caller, params, body }) => {
      const { domain, user } = await apiDomain(caller, params.accountId, params.hostName, "https.manage", "manage certificates");
      if (body.type === "acme") {
        await returnToAcme({ domain, actor: actorOf(user) });
        kickCertificateScheduler();
        return { status: 200, body: toHttpsBody(await httpsStatus(domain)) };
      }
      const result = await uploadOwnCertificate({
        domain,
        actor: actorOf(user),
        chainText: body.public_certificates,
        keyText: body.private_key,
        verifyOnly: body.verify_only,
      });
      if (!result.ok) throw validationProblem(result.errors);
      return { status: 200, body: toHttpsBody(await httpsStatus(domain)) };
    },
  }),

  defineOperation({
    operationId: "domainRenewCertificate",
    method: "post",
    path: "/account/{accountId}/domain/{hostName}/renewCertificate",
    tags: ["Domain", "HTTPS"],
    summary: "Orders a new certificate for the domain now (at most once per 5 minutes per domain).",
    description:
      "Answers 202 once the order is queued; `GET …/https` follows it. 409 while ACME is off or the domain uses its own certificate; 429 within 5 minutes of the previous request.",
    params: accountDomainParams,
    bodyOptional: true,
    write: true,
    problems: ["conflict"],
    responses: { 202: { description: "Queued; the HTTPS status", schema: httpsStatusSchema } },
    handle: async ({ caller, params }) => {
      const { domain, user } = await apiDomain(caller, params.accountId, params.hostName, "https.manage", "renew certificates");
      const result = await requestRenewal({ domain, actor: actorOf(user) });
      if (!result.ok) throw new ApiProblem(result.refusal.code === "rate-limited" ? "rate-limited" : "conflict", result.refusal.message);
      kickCertificateScheduler();
      return { status: 202, body: toHttpsBody(await httpsStatus(domain)) };
    },
  }),
];
