import "server-only";
import { isHostnameTaken } from "@/lib/applications/queries";
import { setLastAccount } from "@/lib/users/queries";
import { accountNameField } from "@/lib/accounts/fields";
import { can, forbiddenMessage } from "@/lib/auth/permissions";
import { effectiveRole } from "@/lib/auth/roles";
import { settings } from "@/lib/config";
import { resolvesToEdge } from "@/lib/dns/go-live";
import { lookupOriginAddresses } from "@/lib/dns/resolver";
import { normaliseHostname } from "@/lib/hostname";
import { parseOrigin, type OriginResult } from "@/lib/origin";
import type { Actor } from "@/lib/repositories/changes";
import { chainPolicy } from "@/edge/modules";
import { getStack, type Stack } from "@/lib/stacks/catalog";
import { TWO_FACTOR_REQUIRED_MESSAGE } from "@/lib/two-factor/requirement";
import { createApplication, type CreateApplicationResult } from "./create";

// The one creation path from what people type (docs/product.md §3.3; docs/architecture.md "An application"): the
// wizard's actions (app/(console)/account/[accountId]/application/new) and the API's application and account
// creation (lib/api/operations/create-application) hand their raw fields here. Each step is a function of its own
// so the wizard can check it alone; `createApplicationFromInput` re-runs them all and ends in `createApplication`.

/** A hostname in its stored and display forms (lib/hostname). */
export type CheckedHostname = { hostname: string; unicode: string; isApex: boolean; notice?: string };

/** What the user is told for an empty hostname. */
const ENTER_HOSTNAME = "Enter the hostname of your website, e.g. www.example.com.";

/** Normalises a typed or pasted hostname (docs/product.md §4); the message for an empty or refused one. Pure. */
export function normaliseNewHostname(raw: string): { ok: true; host: CheckedHostname } | { ok: false; message: string } {
  if (!raw.trim()) return { ok: false, message: ENTER_HOSTNAME };
  const result = normaliseHostname(raw);
  if (!result.ok) return { ok: false, message: result.message };
  return { ok: true, host: { hostname: result.hostname, unicode: result.unicode, isApex: result.isApex, notice: result.notice } };
}

/**
 * Wizard step 1: {@link normaliseNewHostname}; a hostname another application already uses is not refused here
 * (docs/product.md §3.5): the notice says that creating the application makes a claim on it, settled by a TXT record.
 * The creation refuses it only when the chosen account holds it itself (`createApplication`'s `hostname_taken`).
 */
export async function checkNewHostname(raw: string): Promise<{ ok: true; host: CheckedHostname } | { ok: false; message: string }> {
  const checked = normaliseNewHostname(raw);
  if (!checked.ok) return checked;
  if (await isHostnameTaken({ hostname: checked.host.hostname })) {
    const claim = heldHostnameNotice(checked.host.unicode);
    return { ok: true, host: { ...checked.host, notice: checked.host.notice ? `${checked.host.notice} ${claim}` : claim } };
  }
  return checked;
}

/** What the wizard says about a hostname another application uses (docs/product.md §3.5 "Ownership"). */
export function heldHostnameNotice(unicode: string): string {
  return (
    `${unicode} is already used by an application on this platform. If another account holds it, creating this application ` +
    `makes a claim on it: publish the TXT record shown after creation and the hostname moves to your application.`
  );
}

/**
 * The origin prefill (docs/product.md §3.3 step 2): the hostname's current A records the edge may use as an origin
 * (lib/origin), and one sentence saying where they came from — or why there are none (no record; the hostname
 * already points at the edge, whose addresses say nothing about the user's server).
 */
export async function suggestOrigins(host: Pick<CheckedHostname, "hostname" | "unicode">): Promise<{ addresses: string[]; hint: string }> {
  const { edgeIpv4, edgeIpv6 } = settings();
  const found = await lookupOriginAddresses(host.hostname);
  const addresses = found.filter((ip) => parseOrigin({ address: ip }).ok);
  const atEdge = found.some((ip) => edgeIpv4.includes(ip) || edgeIpv6.includes(ip));
  const hint =
    found.length === 0
      ? `No A record was found for ${host.unicode}: enter the address of the server that hosts your website.`
      : atEdge
        ? `${host.unicode} already points at the edge, so its DNS cannot tell us your server: enter your origin's address.`
        : addresses.length < found.length
          ? `We found ${found.join(", ")}; addresses the edge cannot reach were left out.`
          : `Prefilled from the current A record${found.length > 1 ? "s" : ""} of ${host.unicode}.`;
  return { addresses, hint };
}

/** The account a creation goes to: one of the actor's accounts, or a new one (the actor becomes its owner). */
export type AccountChoice = { id: number } | { newName: string };

/** Why the account cannot be used: no such account or not a member, blocked by 2FA, a role without the right, a bad name. */
export type AccountRefusal = {
  ok: false;
  code: "not_found" | "two_factor_required" | "forbidden" | "invalid";
  field: "account" | "accountName";
  message: string;
};

/**
 * Wizard step 4: a new account needs a valid name (lib/accounts/fields `accountNameField`, the one account-name
 * rule); an existing one needs the actor's effective role there (lib/auth/roles) to grant "application.create".
 */
export async function checkCreationAccount(actorId: number, choice: AccountChoice): Promise<{ ok: true } | AccountRefusal> {
  if ("newName" in choice) {
    const name = accountNameField.safeParse(choice.newName);
    return name.success ? { ok: true } : { ok: false, code: "invalid", field: "accountName", message: name.error.issues[0].message };
  }
  const role = await effectiveRole(choice.id, actorId);
  if (role.kind === "none") return { ok: false, code: "not_found", field: "account", message: "Choose one of your accounts." };
  if (role.kind === "blocked") return { ok: false, code: "two_factor_required", field: "account", message: TWO_FACTOR_REQUIRED_MESSAGE };
  if (!can(role.role, "application.create")) {
    return {
      ok: false,
      code: "forbidden",
      field: "account",
      message: forbiddenMessage(role.role, "create applications", "application.create"),
    };
  }
  return { ok: true };
}

/**
 * Why the platform refuses `stack` (docs/product.md §8): a module it does not know, or a module that runs customer
 * code (openresty, nodejs) while EDGE_ALLOW_CODE_MODULES is off (lib/config `settings().allowCodeModules`). Null
 * when the stack can be chosen; the wizard can use it to explain a disabled choice.
 */
export function refuseStack(stack: Pick<Stack, "label" | "proxychain">): string | null {
  const refusal = chainPolicy(
    stack.proxychain.map((m) => m.name),
    settings().allowCodeModules,
  );
  if (!refusal) return null;
  return /EDGE_ALLOW_CODE_MODULES/.test(refusal.message)
    ? `The ${stack.label} stack runs your own code on the edge, which this platform does not allow (EDGE_ALLOW_CODE_MODULES is off). Choose another stack.`
    : `The ${stack.label} stack cannot be served here: ${refusal.message.replace(/^proxychain: /, "")}.`;
}

/** The raw fields of a creation, as the wizard or the API received them. */
export type ApplicationFields = {
  actor: Actor;
  /** As typed (a pasted URL is accepted). */
  hostname: string;
  /** The origin form's fields; null: the hostname's first usable A record (the API without `origin`). */
  origin: { address: string; protocol?: string; port?: string; hostHeader?: string } | null;
  stackId: string;
  account: AccountChoice;
};

/** The field a refusal belongs to: the hostname, one of the origin's fields, the stack, the account or its new name. */
export type ApplicationField = "hostname" | "address" | "protocol" | "port" | "hostHeader" | "stackId" | "account" | "accountName";

export type CreateFromInputResult =
  | Extract<CreateApplicationResult, { ok: true }>
  | { ok: false; code: "invalid" | "hostname_taken" | AccountRefusal["code"]; field: ApplicationField; message: string };

/**
 * Creates an application from raw fields (docs/product.md §3.3): the hostname normalised (§4); the origin checked
 * (lib/origin), or prefilled from the hostname's A records when none is given; a catalog stack (§5); the account
 * checked ({@link checkCreationAccount}); ownership required when the hostname already resolves to the edge (§3.5,
 * `resolvesToEdge`); then `createApplication` (everything as one unit or nothing) and the account remembered as the
 * actor's last. Refusals come back as values naming their field; unexpected failures are thrown.
 */
export async function createApplicationFromInput(input: ApplicationFields): Promise<CreateFromInputResult> {
  const host = normaliseNewHostname(input.hostname);
  if (!host.ok) return { ok: false, code: "invalid", field: "hostname", message: host.message };
  let origin: OriginResult;
  if (input.origin) {
    origin = parseOrigin({
      address: input.origin.address,
      protocol: input.origin.protocol || undefined,
      port: input.origin.port || undefined,
      hostHeader: input.origin.hostHeader || undefined,
    });
  } else {
    const [address] = (await suggestOrigins(host.host)).addresses;
    if (!address) {
      const message = `No usable A record was found for ${host.host.unicode}: give the address of the server that hosts your website.`;
      return { ok: false, code: "invalid", field: "address", message };
    }
    origin = parseOrigin({ address });
  }
  if (!origin.ok) {
    const [field, message] = (Object.entries(origin.fieldErrors)[0] ?? ["address", "Check the origin."]) as [ApplicationField, string];
    return { ok: false, code: "invalid", field, message };
  }
  const stack = getStack(input.stackId);
  if (!stack) return { ok: false, code: "invalid", field: "stackId", message: "Choose a proxy stack from the list." };
  const stackRefused = refuseStack(stack);
  if (stackRefused) return { ok: false, code: "invalid", field: "stackId", message: stackRefused };
  const account = await checkCreationAccount(input.actor.id, input.account);
  if (!account.ok) return account;

  const created = await createApplication({
    actor: input.actor,
    account: input.account,
    hostname: { hostname: host.host.hostname, unicode: host.host.unicode, isApex: host.host.isApex },
    origin: origin.origin,
    stackId: stack.id,
    // A hostname that already resolves to the edge (a previous owner's DNS) must prove ownership (docs/product.md §3.5).
    ownershipRequired: await resolvesToEdge(host.host.hostname),
  });
  if (!created.ok) return { ...created, field: created.field === "origin" ? "address" : created.field };
  await setLastAccount({ userId: input.actor.id, accountId: created.account.id });
  return created;
}
