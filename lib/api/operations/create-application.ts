import "server-only";
import { eq } from "drizzle-orm";
import { getDb } from "@/db";
import { accounts } from "@/db/schema";
import { setLastAccount } from "@/db/queries/users";
import { createApplication } from "@/lib/applications/create";
import { displayName } from "@/lib/auth/session";
import { resolvesToEdge } from "@/lib/dns/go-live";
import { lookupOriginAddresses } from "@/lib/dns/resolver";
import { normaliseHostname } from "@/lib/hostname";
import { parseOrigin } from "@/lib/origin";
import { DEFAULT_STACK_ID, STACKS, getStack } from "@/lib/stacks/catalog";
import type { ApiCaller } from "../access";
import { ApiProblem, notFoundProblem, validationProblem } from "../problem";
import { z } from "../zod";

// Creating an application through the API (SPEC §3.3 as one call): the same steps as the wizard's final action —
// hostname normalised (§4), origin checked (or taken from the hostname's A records, as the wizard prefills it),
// a catalog stack (§5), ownership required when the hostname already points at the edge — then
// lib/applications `createApplication`, which creates everything as one unit or nothing.

/** Body fields shared by `POST /account/create` and `POST /account/{accountId}/application/create`. */
export const applicationFields = {
  hostname: z
    .string()
    .max(2000)
    .openapi({ description: "The website's production hostname (a pasted URL is accepted; SPEC §4).", example: "www.example.com" }),
  origin: z.string().max(2000).optional().openapi({
    description: "Origin server: IP address, hostname, `host:port` or `http(s)://host[:port]`. Default: the hostname's current A record.",
  }),
  stackName: z
    .string()
    .max(40)
    .optional()
    .openapi({ description: `A stack catalog id (SPEC §5): ${STACKS.map((s) => s.id).join(", ")}. Default \`${DEFAULT_STACK_ID}\`.` }),
};

type Input = { hostname: string; origin?: string; stackName?: string };

/**
 * Creates an application (and, with `newAccountName`, its account) for the caller. Authorization of an existing
 * account is the caller's job (and is re-checked by `createApplication`). Problems: `validation` with the field
 * (`hostname`, `origin`, `stackName`, `name`), `conflict` for a hostname used on the platform, `not-found`.
 */
export async function createApplicationForCaller(caller: ApiCaller, account: { id: number } | { newName: string }, input: Input) {
  const host = normaliseHostname(input.hostname);
  if (!host.ok) throw validationProblem([{ field: "hostname", message: host.message }]);
  const stack = getStack(input.stackName ?? DEFAULT_STACK_ID);
  if (!stack) throw validationProblem([{ field: "stackName", message: `Use one of: ${STACKS.map((s) => s.id).join(", ")}.` }]);
  let originText = input.origin?.trim();
  if (!originText) {
    const found = (await lookupOriginAddresses(host.hostname)).filter((ip) => parseOrigin({ address: ip }).ok);
    if (found.length === 0) {
      throw validationProblem([
        { field: "origin", message: `No usable A record was found for ${host.unicode}: send the origin's address in \`origin\`.` },
      ]);
    }
    originText = found[0];
  }
  const origin = parseOrigin({ address: originText });
  if (!origin.ok) throw validationProblem([{ field: "origin", message: Object.values(origin.fieldErrors).join(" ") }]);

  const created = await createApplication({
    actor: { id: caller.user.id, name: displayName(caller.user) },
    account,
    hostname: { hostname: host.hostname, unicode: host.unicode, isApex: host.isApex },
    origin: origin.origin,
    stackId: stack.id,
    ownershipRequired: await resolvesToEdge(host.hostname),
  });
  if (!created.ok) {
    if (created.code === "not_found") throw notFoundProblem();
    if (created.code === "two_factor_required") throw new ApiProblem("two-factor-required", created.message);
    if (created.code === "hostname_taken")
      throw new ApiProblem("conflict", created.message, { extensions: { errors: [{ field: "hostname", message: created.message }] } });
    const field = created.field === "accountName" ? "name" : created.field === "stackId" ? "stackName" : created.field;
    throw validationProblem([{ field, message: created.message }]);
  }
  await setLastAccount({ userId: caller.user.id, accountId: created.account.id });
  return created;
}

/** The account row by id (after a creation). */
export async function accountRow(id: number) {
  return getDb().select().from(accounts).where(eq(accounts.id, id)).get();
}
