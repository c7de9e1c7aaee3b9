"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { accountAction, type Refusal } from "@/lib/actions";
import { environmentResource } from "@/lib/actions/resources";
import { purgeEverything, purgeExpression, purgePrefix, purgeUrl, type Purge, type PurgeRefusal } from "@/lib/purge/expression";
import { createPurge, environmentHasVarnish, waitForPurge } from "@/lib/purge/store";

// The environment page's purge actions (docs/product.md §10 "Purge"): everything, a path prefix or one URL (developers
// and up, "edge.purge"), and a ban expression (owners and admins, "edge.ban"). The account comes from the environment
// row; a chain without varnish has nothing to purge. Malformed input is a message on its field and reaches no node.

/** What a purge form shows after an action. */
export type PurgeActionState = { ok?: boolean; message?: string; fieldError?: string; value?: string; at?: number };

/** How long the action waits for the nodes before answering (the list on the page keeps each node's state). */
const ACTION_WAIT_MS = 5_000;

const purgeSchema = z.object({
  environmentId: z.string().default(""),
  kind: z.enum(["all", "prefix", "url"]).default("all"),
  value: z.string().max(2000, "At most 2,000 characters.").default(""),
});
const banSchema = z.object({
  environmentId: z.string().default(""),
  expression: z.string().max(2000, "At most 2,000 characters.").default(""),
});

const purgeEnvironment = environmentResource((input: z.output<typeof purgeSchema>) => input.environmentId);
const banEnvironment = environmentResource((input: z.output<typeof banSchema>) => input.environmentId);

const refused = (r: Refusal): PurgeActionState => ({ message: r.message, at: Date.now() });

type Env = { id: number; accountId: number; applicationId: number; name: string };

async function send(
  environment: Env,
  application: { id: number; accountId: number; repoDir: string },
  actor: { id: number; name: string },
  built: { ok: true; purge: Purge } | PurgeRefusal,
  value: string,
): Promise<PurgeActionState> {
  if (!(await environmentHasVarnish(application.repoDir, environment.name)))
    return { message: "This environment's proxy chain has no varnish: there is no cache to purge.", at: Date.now() };
  if (!built.ok) return { fieldError: built.message, value, at: Date.now() };
  const created = await createPurge({ environment, actor, purge: built.purge });
  if (!created.ok) return { message: created.refusal.message, value, at: Date.now() };
  const status = await waitForPurge(environment.id, created.id, ACTION_WAIT_MS);
  revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
  const applied = status?.nodes.filter((n) => n.state === "applied").length ?? 0;
  const total = status?.nodes.length ?? 0;
  return {
    ok: true,
    message:
      total === 0
        ? "Purge recorded; no edge node is active, so nothing is cached."
        : status?.complete
          ? `Purged on ${applied} of ${total} node${total === 1 ? "" : "s"}.`
          : `Purge sent: ${applied} of ${total} node${total === 1 ? "" : "s"} applied it so far (see the list below).`,
    at: Date.now(),
  };
}

/** Purges everything, a path prefix or one URL of an environment (developers and up). */
export const purgeAction = accountAction({
  name: "purge",
  schema: purgeSchema,
  resource: purgeEnvironment,
  permission: "edge.purge",
  what: "purge the cache",
  fail: refused,
  run: async ({ input, actor, resource: { environment, application } }): Promise<PurgeActionState> => {
    const key = `e${environment.id}`;
    const built =
      input.kind === "all"
        ? { ok: true as const, purge: purgeEverything(key) }
        : input.kind === "prefix"
          ? purgePrefix(key, input.value)
          : purgeUrl(key, input.value);
    const env = { id: environment.id, accountId: application.accountId, applicationId: application.id, name: environment.name };
    return send(env, application, actor, built, input.value);
  },
});

/** Purges with a ban expression of the admin's own (owners and admins). */
export const banAction = accountAction({
  name: "purge by ban expression",
  schema: banSchema,
  resource: banEnvironment,
  permission: "edge.ban",
  what: "purge with a ban expression",
  fail: refused,
  run: async ({ input, actor, resource: { environment, application } }): Promise<PurgeActionState> => {
    const env = { id: environment.id, accountId: application.accountId, applicationId: application.id, name: environment.name };
    return send(env, application, actor, purgeExpression(`e${environment.id}`, input.expression), input.expression);
  },
});
