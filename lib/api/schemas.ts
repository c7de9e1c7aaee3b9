import { ROLES, DOMAIN_STATUSES } from "@/db/schema";
import { PROBLEM_BASE } from "./problem";
import { z } from "./zod";

// The REST API's resource shapes (docs/product.md §3.6). Names and nesting follow Section's API v1
// (`section-api-v1.swagger.yaml`: `id`, `href`, `account_name`, `application_name`, `environment_name`, domains with
// `name` and `cname`, `is_engaged`, `accountCapability`); our own additions are snake_case fields with clear names
// (`status`, `records`, `found`, `history`). Response objects are strict: the document lists every field.

const id = z.number().int().positive();
const isoTime = z.iso.datetime({ offset: true });
const href = z.string().openapi({ description: "Path of this resource in the API, e.g. `/api/v1/account/1`." });

export const roleSchema = z
  .enum(ROLES)
  .openapi("Role", { description: "A role in an account (docs/product.md §2): owner > admin > developer > viewer." });
export const domainStatusSchema = z.enum(DOMAIN_STATUSES).openapi("DomainStatus", {
  description: "Go-live status of a domain (docs/product.md §3.5): pending (never checked), live, misconfigured, nxdomain, error.",
});

export const problemSchema = z
  .looseObject({
    type: z
      .string()
      .openapi({ description: `A stable URI per kind of problem, under ${PROBLEM_BASE}.`, example: `${PROBLEM_BASE}validation` }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    message: z.string().openapi({ description: "Section's `ErrorModel.message`: the same text as `detail`." }),
    errors: z
      .array(z.strictObject({ field: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "For validation problems: each field at fault (dotted path; `query.<name>` for query parameters)." }),
    issues: z
      .array(
        z.strictObject({ path: z.string(), message: z.string(), line: z.number().int().optional(), column: z.number().int().optional() }),
      )
      .optional(),
    conflicts: z.array(z.string()).optional(),
    conflict_details: z
      .array(
        z.strictObject({
          path: z.string(),
          kind: z
            .string()
            .openapi({ description: "content, add/add, modify/delete, binary, rename, file/directory, mode, config-keys or other." }),
          message: z.string(),
          key_paths: z
            .array(z.string())
            .optional()
            .openapi({ description: "For `config-keys`: the keys of section.config.json both sides changed." }),
        }),
      )
      .optional()
      .openapi({ description: "For a promotion conflict: each conflicting file, what kind of conflict it is and a sentence." }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details (`application/problem+json`)." });

export const accountSchema = z
  .strictObject({
    id,
    href,
    account_name: z.string(),
    is_admin: z.boolean().openapi({ description: "True when the token's user may manage the account's members (owners and admins)." }),
    requires_2fa: z.boolean(),
    blocked: z.boolean().openapi({
      description:
        "True when the account requires two-factor authentication and the token's user has not turned it on: every other operation on the account answers 403 `two-factor-required` until they do (docs/product.md §3.2).",
    }),
    role: roleSchema.openapi({ description: "The token's user's role in the account." }),
    created_at: isoTime,
  })
  .openapi("Account");

const applicationSummaryShape = {
  id,
  href,
  application_name: z.string(),
  stack: z.string().openapi({ description: "Stack catalog id chosen at creation (docs/product.md §5)." }),
  hostnames: z.array(z.string()).openapi({ description: "The Production environment's hostnames (A-label form)." }),
  status: domainStatusSchema
    .or(z.literal("none"))
    .openapi({ description: "Go-live status of the Production environment (`none`: no domains)." }),
  created_at: isoTime,
};

export const applicationSummarySchema = z.strictObject(applicationSummaryShape).openapi("ApplicationSummary");

// Not `.extend()` of a named schema: zod-to-openapi would write `allOf` of two closed objects, which no value matches.
export const applicationSchema = z
  .strictObject({
    ...applicationSummaryShape,
    clone_url: z.string().openapi({ description: "Git smart HTTP clone URL (docs/product.md §3.6)." }),
    environments: z.array(z.strictObject({ id, environment_name: z.string() })),
  })
  .openapi("Application");

export const accountGraphSchema = z
  .strictObject({
    id,
    href,
    account_name: z.string(),
    requires_2fa: z.boolean(),
    blocked: z.boolean().openapi({
      description:
        "True when the account requires two-factor authentication and the token's user has not turned it on: its applications are not listed (empty) until they do (docs/product.md §3.2).",
    }),
    applications: z.array(
      z.strictObject({
        id,
        href,
        application_name: z.string(),
        environments: z.array(z.strictObject({ id, environment_name: z.string() })),
      }),
    ),
  })
  .openapi("AccountGraph");

export const createAccountResponseSchema = z
  .strictObject({ id, href, account_name: z.string(), applications: z.array(z.strictObject({ id, href, application_name: z.string() })) })
  .openapi("CreateAccountResponse");

export const expectedRecordSchema = z
  .strictObject({ type: z.enum(["CNAME", "A", "AAAA", "ALIAS", "TXT"]), name: z.string(), value: z.string(), note: z.string().optional() })
  .openapi("DnsRecord", { description: "A DNS record the customer creates to take the domain live (docs/product.md §3.5)." });

export const foundRecordsSchema = z
  .strictObject({
    chain: z.array(z.string()).openapi({ description: "CNAME chain followed from the hostname." }),
    a: z.array(z.string()),
    aaaa: z.array(z.string()),
    txt: z.array(z.string()),
    explanation: z.string().openapi({ description: "One sentence on what was found and what to change." }),
  })
  .openapi("FoundRecords");

export const domainCheckSchema = z
  .strictObject({
    id,
    checked_at: isoTime,
    outcome: domainStatusSchema,
    status: domainStatusSchema.openapi({ description: "Status after this check (a transient error keeps a known status)." }),
    reason: z.string(),
    found: foundRecordsSchema,
    resolver: z.string(),
    duration_ms: z.number().int(),
    error_code: z.string().nullable(),
  })
  .openapi("DomainCheck", { description: "One go-live check of a domain." });

const domainSummaryShape = {
  name: z.string().openapi({ description: "The hostname (A-label form)." }),
  cname: z.string().openapi({ description: "The CNAME target: `<hostname>.<EDGE_CNAME_SUFFIX>`." }),
  name_unicode: z.string(),
  is_apex: z.boolean(),
  status: domainStatusSchema,
  last_checked_at: isoTime.nullable(),
};

export const domainSummarySchema = z.strictObject(domainSummaryShape).openapi("DomainSummary");

export const domainDetailSchema = z
  .strictObject({
    ...domainSummaryShape,
    environment_name: z.string(),
    application_id: id,
    ownership_required: z.boolean(),
    records: z.array(expectedRecordSchema).openapi({ description: "The records to create." }),
    alternative_records: z.array(expectedRecordSchema),
    // A union, not `.nullable()`: that would turn the DomainCheck component itself nullable (zod-to-openapi).
    last_check: z
      .union([domainCheckSchema, z.null()])
      .openapi({ description: "The latest check with what it found; null when never checked." }),
  })
  .openapi("DomainDetail");

export const environmentSummarySchema = z
  .strictObject({
    id,
    href,
    environment_name: z.string(),
    domains: z.array(domainSummarySchema),
    status: z
      .strictObject({
        status: domainStatusSchema.or(z.literal("none")),
        label: z.string(),
        live: z.number().int(),
        total: z.number().int(),
      })
      .openapi({ description: "Go-live summary (docs/product.md §3.4): Live, Partly live (n/m), the most urgent status, or No domains." }),
    created_at: isoTime,
  })
  .openapi("EnvironmentSummary");

export const domainEngagedSchema = z
  .strictObject({
    is_engaged: z.boolean().openapi({ description: "True when the domain is live (routes through the edge)." }),
    hostnames: z.record(z.string(), z.boolean()).openapi({ description: "Section's map of hostname → engaged." }),
    checked: z.boolean().openapi({ description: "True when this request ran a check; false when it answers the last known state." }),
    domain: domainDetailSchema,
  })
  .openapi("DomainEngaged");

export const environmentEngagedSchema = z
  .strictObject({
    is_engaged: z.boolean().openapi({ description: "True when the environment has domains and all of them are live." }),
    status: environmentSummarySchema.shape.status,
    domains: z.array(domainDetailSchema),
  })
  .openapi("EnvironmentEngaged");

export const accountUserSchema = z
  .strictObject({
    id: id.openapi({ description: "The user's id." }),
    email: z.string(),
    first_name: z.string().openapi({ description: "The user's display name (we keep one name)." }),
    last_name: z.string(),
    accountCapability: roleSchema.openapi({ description: "Section's field, carrying our role name." }),
    joined_at: isoTime,
  })
  .openapi("AccountUser");

export const accountUserActionResultSchema = z
  .strictObject({
    success: z.boolean(),
    message: z.string(),
    invitation: z.strictObject({ id, email: z.string(), role: roleSchema, expires_at: isoTime, mailed: z.boolean() }).optional(),
  })
  .openapi("AccountUserActionResult");

export const accountUserUpdateResultSchema = z
  .strictObject({ success: z.boolean(), message: z.string(), user: accountUserSchema })
  .openapi("AccountUserUpdateResult");

export const environmentConfigurationSchema = z.record(z.string(), z.unknown()).openapi("EnvironmentConfiguration", {
  description: "The environment's `section.config.json` (docs/product.md §5) at its branch head; the commit is the `ETag`.",
});

export const patchOperationSchema = z
  .strictObject({
    op: z.enum(["add", "remove", "replace", "move", "copy", "test"]),
    path: z.string().max(1000).openapi({ description: "A JSON Pointer (RFC 6901)." }),
    value: z.unknown().optional(),
    from: z.string().max(1000).optional(),
  })
  .openapi("RFC6902Operation");

export const patchRequestSchema = z
  .array(patchOperationSchema)
  .max(200)
  .openapi("PatchRequest", { description: "A JSON Patch document (RFC 6902); `[]` changes nothing." });

export const promoteResultSchema = z
  .strictObject({
    commit: z.string().openapi({ description: "The merge commit now at the head of Production." }),
    environment: environmentSummarySchema,
  })
  .openapi("PromoteResult");

/**
 * A claim on a hostname another account holds (docs/product.md §3.5): the TXT record that settles it. The 202 answer
 * of adding such a hostname, and the `claim` of an application, account or environment created with one.
 */
export const domainClaimSchema = z
  .strictObject({
    status: z.literal("claimed"),
    hostname: z.string(),
    detail: z.string(),
    record: z.strictObject({ type: z.literal("TXT"), name: z.string(), value: z.string() }),
    created_at: z.string(),
  })
  .openapi("DomainClaim");
