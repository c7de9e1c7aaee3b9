import "server-only";
import { eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { accounts } from "@/db/schema";
import { actorOf } from "@/lib/actions";
import { createApplicationFromInput, type AccountChoice, type ApplicationField } from "@/lib/applications/from-input";
import { DEFAULT_STACK_ID, STACKS } from "@/lib/stacks/catalog";
import type { ApiCaller } from "../access";
import { ApiProblem, notFoundProblem, validationProblem } from "../problem";
import { z } from "../zod";

// Creating an application through the API (docs/product.md §3.3 as one call): the wizard's own path,
// lib/applications `createApplicationFromInput` — hostname normalised (§4), origin checked (or taken from the
// hostname's A records, as the wizard prefills it), a catalog stack (§5), the account checked, ownership required
// when the hostname already points at the edge — which creates everything as one unit or nothing.

/** Body fields shared by `POST /account/create` and `POST /account/{accountId}/application/create`. */
export const applicationFields = {
  hostname: z.string().max(2000).openapi({
    description: "The website's production hostname (a pasted URL is accepted; docs/product.md §4).",
    example: "www.example.com",
  }),
  origin: z.string().max(2000).optional().openapi({
    description: "Origin server: IP address, hostname, `host:port` or `http(s)://host[:port]`. Default: the hostname's current A record.",
  }),
  stackName: z
    .string()
    .max(40)
    .optional()
    .openapi({
      description: `A stack catalog id (docs/product.md §5): ${STACKS.map((s) => s.id).join(", ")}. Default \`${DEFAULT_STACK_ID}\`.`,
    }),
};

type Input = { hostname: string; origin?: string; stackName?: string };

/** The body field each refused field of the creation is reported as. */
const BODY_FIELD: Record<ApplicationField, string> = {
  hostname: "hostname",
  address: "origin",
  protocol: "origin",
  port: "origin",
  hostHeader: "origin",
  stackId: "stackName",
  account: "accountId",
  accountName: "name",
};

/**
 * Creates an application (and, with `newName`, its account) for the caller. Authorization of an existing account
 * is the caller's job (it is re-checked on the way). A hostname another account holds gives a creation with a claim
 * (`claim` set, docs/product.md §3.5): the operation answers 202 with it. Problems: `validation` with the body field
 * (`hostname`, `origin`, `stackName`, `name`), `conflict` for a hostname the account itself uses, `not-found`,
 * `forbidden`, `two-factor-required`.
 */
export async function createApplicationForCaller(caller: ApiCaller, account: AccountChoice, input: Input) {
  const origin = input.origin?.trim();
  const created = await createApplicationFromInput({
    actor: actorOf(caller.user),
    hostname: input.hostname,
    origin: origin ? { address: origin } : null,
    stackId: input.stackName ?? DEFAULT_STACK_ID,
    account,
  });
  if (created.ok) return created;
  const field = BODY_FIELD[created.field];
  switch (created.code) {
    case "not_found":
      throw notFoundProblem();
    case "forbidden":
      throw new ApiProblem("forbidden", created.message);
    case "two_factor_required":
      throw new ApiProblem("two-factor-required", created.message);
    case "hostname_taken":
      throw new ApiProblem("conflict", created.message, { extensions: { errors: [{ field, message: created.message }] } });
    default: {
      // An unknown stack name lists the catalog; a known stack this console refuses (code modules) keeps its reason.
      const unknownStack = created.field === "stackId" && !STACKS.some((s) => s.id === (input.stackName ?? DEFAULT_STACK_ID));
      const message = unknownStack ? `Use one of: ${STACKS.map((s) => s.id).join(", ")}.` : created.message;
      throw validationProblem([{ field, message }]);
    }
  }
}

/** The account row by id (after a creation). */
export async function accountRow(id: number) {
  return first(getDb().select().from(accounts).where(eq(accounts.id, id)));
}
