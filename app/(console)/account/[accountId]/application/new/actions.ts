"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import { requireUser, displayName } from "@/lib/auth/session";
import { can, forbiddenMessage } from "@/lib/auth/permissions";
import { normaliseHostname } from "@/lib/hostname";
import { parseOrigin } from "@/lib/origin";
import { lookupOriginAddresses } from "@/lib/dns/resolver";
import { resolvesToEdge } from "@/lib/dns/go-live";
import { createApplication } from "@/lib/applications/create";
import { getStack } from "@/lib/stacks/catalog";
import { settings } from "@/lib/config";
import { getAccount, getMembership } from "@/db/queries/accounts";
import { TWO_FACTOR_REQUIRED_MESSAGE } from "@/lib/two-factor/requirement";
import { blocksUser } from "@/lib/two-factor/requirement";
import { isHostnameTaken } from "@/db/queries/applications";
import { setLastAccount } from "@/db/queries/users";
import { accountNameField } from "@/lib/accounts/fields";

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

const text = z.string().max(2000);

/** Step 1: normalises the production hostname (SPEC §4), refuses one used anywhere, and prefills the origin. */
export async function checkHostnameStepAction(rawHostname: unknown): Promise<HostnameStep> {
  await requireUser();
  const input = text.safeParse(rawHostname);
  if (!input.success) {
    return {
      ok: false,
      error:
        typeof rawHostname === "string"
          ? "That is too long for a hostname (at most 253 characters)."
          : "Enter the hostname of your website, e.g. www.example.com.",
    };
  }
  if (!input.data.trim()) return { ok: false, error: "Enter the hostname of your website, e.g. www.example.com." };
  const result = normaliseHostname(input.data);
  if (!result.ok) return { ok: false, error: result.message };
  if (await isHostnameTaken({ hostname: result.hostname })) {
    return {
      ok: false,
      error: `${result.unicode} is already used by an application on this platform. Each hostname can belong to one application only.`,
    };
  }
  const { edgeIpv4, edgeIpv6 } = settings();
  const found = await lookupOriginAddresses(result.hostname);
  const usable = found.filter((ip) => parseOrigin({ address: ip }).ok);
  const atEdge = found.some((ip) => edgeIpv4.includes(ip) || edgeIpv6.includes(ip));
  const originHint =
    found.length === 0
      ? `No A record was found for ${result.unicode}: enter the address of the server that hosts your website.`
      : atEdge
        ? `${result.unicode} already points at the edge, so its DNS cannot tell us your server: enter your origin's address.`
        : usable.length < found.length
          ? `We found ${found.join(", ")}; addresses the edge cannot reach were left out.`
          : `Prefilled from the current A record${found.length > 1 ? "s" : ""} of ${result.unicode}.`;
  return {
    ok: true,
    hostname: result.hostname,
    unicode: result.unicode,
    isApex: result.isApex,
    notice: result.notice,
    suggestedOrigins: usable,
    originHint,
  };
}

const originInputSchema = z.object({ address: text, protocol: text, port: text, hostHeader: text });

/** Step 2: validates the origin (address, protocol, port, Host header) against SPEC §3.3's refused ranges. */
export async function checkOriginStepAction(raw: unknown): Promise<OriginStep> {
  await requireUser();
  const input = originInputSchema.safeParse(raw);
  if (!input.success) return { ok: false, fieldErrors: { address: "Enter the origin's IP address or hostname (at most 253 characters)." } };
  const result = parseOrigin({
    address: input.data.address,
    protocol: input.data.protocol || undefined,
    port: input.data.port || undefined,
    hostHeader: input.data.hostHeader || undefined,
  });
  return result.ok ? { ok: true, origin: result.origin } : { ok: false, fieldErrors: result.fieldErrors };
}

const accountChoiceSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("existing"), accountId: z.coerce.number().int().positive() }),
  z.object({ mode: z.literal("new"), name: z.string().max(200) }),
]);

/** Step 4: the chosen account must be one where the user may create applications; a new one needs a name. */
export async function checkAccountStepAction(raw: unknown): Promise<AccountStep> {
  const user = await requireUser();
  const choice = accountChoiceSchema.safeParse(raw);
  if (!choice.success) return { ok: false, field: "accountId", error: "Choose an account or create a new one." };
  return checkAccountChoice(user, choice.data);
}

async function checkAccountChoice(user: { id: number; totpEnabledAt: Date | null }, choice: AccountChoice): Promise<AccountStep> {
  const userId = user.id;
  if (choice.mode === "new") {
    const name = accountNameField.safeParse(choice.name);
    return name.success ? { ok: true } : { ok: false, field: "newAccountName", error: name.error.issues[0].message };
  }
  const membership = await getMembership({ userId, accountId: choice.accountId });
  if (!membership) return { ok: false, field: "accountId", error: "Choose one of your accounts." };
  const account = await getAccount({ id: choice.accountId });
  if (account && blocksUser(account, user)) return { ok: false, field: "accountId", error: TWO_FACTOR_REQUIRED_MESSAGE };
  if (!can(membership.role, "application.create")) {
    return { ok: false, field: "accountId", error: forbiddenMessage(membership.role, "create applications") };
  }
  return { ok: true };
}

const createSchema = z.object({
  hostname: text,
  origin: originInputSchema,
  stackId: z.string().max(40),
  account: accountChoiceSchema,
});

/**
 * Step 5: re-validates every step on the server, then creates the application, its Production environment,
 * its domain and its repository as one unit (SPEC §3.3), and opens its overview.
 */
export async function createApplicationAction(raw: unknown): Promise<CreateResult> {
  const user = await requireUser();
  const input = createSchema.safeParse(raw);
  if (!input.success) return { ok: false, step: 5, error: "Something in the form was not understood. Reload the page and try again." };
  const { data } = input;

  const host = normaliseHostname(data.hostname);
  if (!host.ok) return { ok: false, step: 1, field: "hostname", error: host.message };
  const origin = parseOrigin({
    address: data.origin.address,
    protocol: data.origin.protocol || undefined,
    port: data.origin.port || undefined,
    hostHeader: data.origin.hostHeader || undefined,
  });
  if (!origin.ok) {
    const [field, error] = Object.entries(origin.fieldErrors)[0] ?? ["address", "Check the origin."];
    return { ok: false, step: 2, field, error: String(error) };
  }
  const stack = getStack(data.stackId);
  if (!stack) return { ok: false, step: 3, field: "stackId", error: "Choose a proxy stack from the list." };
  const accountCheck = await checkAccountChoice(user, data.account);
  if (!accountCheck.ok) return { ok: false, step: 4, field: accountCheck.field, error: accountCheck.error };

  // A hostname that already resolves to the edge (a previous owner's DNS) must prove ownership (SPEC §3.5).
  const ownershipRequired = await resolvesToEdge(host.hostname);

  let created: Awaited<ReturnType<typeof createApplication>>;
  try {
    created = await createApplication({
      actor: { id: user.id, name: displayName(user) },
      account: data.account.mode === "new" ? { newName: accountNameField.parse(data.account.name) } : { id: data.account.accountId },
      hostname: { hostname: host.hostname, unicode: host.unicode, isApex: host.isApex },
      origin: origin.origin,
      stackId: stack.id,
      ownershipRequired,
    });
  } catch (error) {
    console.error("create application failed", { userId: user.id, hostname: host.hostname }, error);
    return { ok: false, step: 5, error: "The application could not be created; nothing was saved. Try again in a moment." };
  }
  if (!created.ok) {
    switch (created.field) {
      case "hostname":
        return { ok: false, step: 1, field: "hostname", error: created.message };
      case "origin":
        return { ok: false, step: 2, field: "address", error: created.message };
      case "stackId":
        return { ok: false, step: 3, field: "stackId", error: created.message };
      case "accountName":
        return { ok: false, step: 4, field: "newAccountName", error: created.message };
      default:
        return { ok: false, step: 4, field: "accountId", error: created.message };
    }
  }
  await setLastAccount({ userId: user.id, accountId: created.account.id });
  if (data.account.mode === "new") revalidatePath("/", "layout"); // the account switcher lists the new account
  redirect(`/account/${created.account.id}/application/${created.application.id}`);
}
