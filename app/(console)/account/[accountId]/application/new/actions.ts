"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { userAction, type Refusal } from "@/lib/actions";
import {
  checkCreationAccount,
  checkNewHostname,
  createApplicationFromInput,
  suggestOrigins,
  type AccountChoice as CreationAccount,
  type ApplicationField,
} from "@/lib/applications/from-input";
import { parseOrigin } from "@/lib/origin";

// The "Create application" wizard (docs/product.md §3.3): one action per step the browser checks as the user goes,
// and the final one, which re-checks everything through lib/applications `createApplicationFromInput` (the one
// creation path, shared with the API). The wizard posts each step as FormData.

export type HostnameStep =
  | { ok: true; hostname: string; unicode: string; isApex: boolean; notice?: string; suggestedOrigins: string[]; originHint: string }
  | { ok: false; error: string };

export type OriginInput = { address: string; protocol: string; port: string; hostHeader: string };
export type OriginStep =
  | { ok: true; origin: { address: string; protocol: "http" | "https"; port: number; host_header?: string } }
  | { ok: false; fieldErrors: Partial<Record<keyof OriginInput, string>> };

export type AccountChoice = { mode: "existing"; accountId: number } | { mode: "new"; name: string };
export type AccountStep = { ok: true } | { ok: false; field: "accountId" | "newAccountName"; error: string };

export type CreateResult = { ok: false; step: 1 | 2 | 3 | 4 | 5; field?: string; error: string };

const TOO_LONG_HOSTNAME = "That is too long for a hostname (at most 253 characters).";
const text = z.string().max(2000).default("");

const hostnameFields = { hostname: z.string().max(2000, TOO_LONG_HOSTNAME).default("") };
const originFields = { address: text, protocol: text, port: text, hostHeader: text };
const accountFields = {
  accountMode: z.enum(["existing", "new"]),
  accountId: z.string().max(20).default(""),
  newAccountName: z.string().max(200).default(""),
};

/** The account the form chose, or null when an existing account's id is not a positive whole number. */
function accountOf(input: { accountMode: "existing" | "new"; accountId: string; newAccountName: string }): CreationAccount | null {
  if (input.accountMode === "new") return { newName: input.newAccountName };
  return /^[1-9][0-9]{0,15}$/.test(input.accountId) ? { id: Number(input.accountId) } : null;
}

/** Step 1: normalises the production hostname (docs/product.md §4), refuses one used anywhere, and prefills the origin. */
export const checkHostnameStepAction = userAction({
  name: "wizard hostname step",
  schema: z.object(hostnameFields),
  fail: (r: Refusal): HostnameStep => ({ ok: false, error: r.fieldErrors.hostname ?? r.message }),
  run: async ({ input }): Promise<HostnameStep> => {
    const checked = await checkNewHostname(input.hostname);
    if (!checked.ok) return { ok: false, error: checked.message };
    const { addresses, hint } = await suggestOrigins(checked.host);
    return { ok: true, ...checked.host, suggestedOrigins: addresses, originHint: hint };
  },
});

/** Step 2: validates the origin (address, protocol, port, Host header) against docs/product.md §3.3's refused ranges. */
export const checkOriginStepAction = userAction({
  name: "wizard origin step",
  schema: z.object(originFields),
  fail: (): OriginStep => ({ ok: false, fieldErrors: { address: "Enter the origin's IP address or hostname (at most 253 characters)." } }),
  run: async ({ input }): Promise<OriginStep> => {
    const result = parseOrigin({
      address: input.address,
      protocol: input.protocol || undefined,
      port: input.port || undefined,
      hostHeader: input.hostHeader || undefined,
    });
    return result.ok ? { ok: true, origin: result.origin } : { ok: false, fieldErrors: result.fieldErrors };
  },
});

const accountStepError = (field: "account" | "accountName", error: string): AccountStep => ({
  ok: false,
  field: field === "accountName" ? "newAccountName" : "accountId",
  error,
});

/** Step 4: the chosen account must be one where the user may create applications; a new one needs a name. */
export const checkAccountStepAction = userAction({
  name: "wizard account step",
  schema: z.object(accountFields),
  fail: (): AccountStep => accountStepError("account", "Choose an account or create a new one."),
  run: async ({ input, user }): Promise<AccountStep> => {
    const choice = accountOf(input);
    if (!choice) return accountStepError("account", "Choose an account or create a new one.");
    const checked = await checkCreationAccount(user.id, choice);
    return checked.ok ? { ok: true } : accountStepError(checked.field, checked.message);
  },
});

/** The wizard step each field of a refusal belongs to. */
const STEP_OF: Record<ApplicationField, { step: 1 | 2 | 3 | 4; field: string }> = {
  hostname: { step: 1, field: "hostname" },
  address: { step: 2, field: "address" },
  protocol: { step: 2, field: "protocol" },
  port: { step: 2, field: "port" },
  hostHeader: { step: 2, field: "hostHeader" },
  stackId: { step: 3, field: "stackId" },
  account: { step: 4, field: "accountId" },
  accountName: { step: 4, field: "newAccountName" },
};

/**
 * Step 5: re-validates every step on the server, then creates the application, its Production environment, its
 * domain and its repository as one unit (docs/product.md §3.3), and opens its overview.
 */
export const createApplicationAction = userAction({
  name: "create application",
  schema: z.object({ ...hostnameFields, ...originFields, stackId: z.string().max(40).default(""), ...accountFields }),
  fail: (r: Refusal): CreateResult => ({
    ok: false,
    step: 5,
    error:
      r.kind === "unexpected"
        ? "The application could not be created; nothing was saved. Try again in a moment."
        : "Something in the form was not understood. Reload the page and try again.",
  }),
  run: async ({ input, actor }): Promise<CreateResult> => {
    const account = accountOf(input);
    if (!account) return { ok: false, step: 4, field: "accountId", error: "Choose an account or create a new one." };
    const created = await createApplicationFromInput({
      actor,
      hostname: input.hostname,
      origin: { address: input.address, protocol: input.protocol, port: input.port, hostHeader: input.hostHeader },
      stackId: input.stackId,
      account,
    });
    if (!created.ok) return { ok: false, ...STEP_OF[created.field], error: created.message };
    if ("newName" in account) revalidatePath("/", "layout"); // the account switcher lists the new account
    redirect(`/account/${created.account.id}/application/${created.application.id}`);
  },
});
