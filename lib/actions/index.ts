import "server-only";
import { headers } from "next/headers";
import { unstable_rethrow } from "next/navigation";
import type { z } from "zod";
import type { Role } from "@/db/schema";
import { can, forbiddenMessage, type Permission } from "@/lib/auth/permissions";
import { safeReturnPath } from "@/lib/auth/redirect";
import { effectiveRole, type RoleAccount } from "@/lib/auth/roles";
import { displayName, getCurrentUser, requireUser } from "@/lib/auth/session";
import { TWO_FACTOR_REQUIRED_MESSAGE } from "@/lib/two-factor/requirement";
import { NOT_FOUND_MESSAGE } from "./messages";
import { annotateRequest, log } from "@/lib/log";

// The one shape of a server action (docs/architecture.md, "Server actions"): the counterpart of the REST API's
// operation (lib/api/operation.ts). Every exported action of app/ is made by `publicAction` (signed-out pages),
// `userAction` (one's own login) or `accountAction` (an account's resources); the last runs, in this order:
//   session → parse → load the resource → derive the account from it → effective role → permission → run
//   → expected refusals as values → one catch for the unexpected.
// `run` returns the action's own state (what its form shows); refusals made here go through the action's `fail`,
// so each form keeps its own state shape. `redirect()`/`notFound()` thrown by `run` pass through untouched.

/** What a member who is not one (or a missing resource) is told (./messages, shared with code outside actions). */
export { NOT_FOUND_MESSAGE };
/** What an unexpected failure shows (details go to the server log only). */
export const UNEXPECTED_MESSAGE = "Something went wrong on our side; nothing was changed. Try again in a moment.";
/** What a form that does not parse at all (a forged or stale form) shows. */
export const UNREADABLE_FORM_MESSAGE = "The form was not understood. Reload the page and try again.";

/** The signed-in user acting; `name` is what the audit log shows. */
export type Actor = { id: number; name: string };

type SignedInUser = Awaited<ReturnType<typeof requireUser>>;

/** The actor of a signed-in user (audit name: their name, else their email). */
export function actorOf(user: SignedInUser): Actor {
  return { id: user.id, name: displayName(user) };
}

/** Why the wrapper refused before `run`. */
export type RefusalKind = "invalid" | "not_found" | "forbidden" | "two_factor" | "unexpected";

/** A refusal handed to the action's `fail`: the message, its kind, field messages (invalid input) and what was typed. */
export type Refusal = { kind: RefusalKind; message: string; fieldErrors: Record<string, string>; raw: Record<string, string> };

/** What `run` receives in a user-level action. */
export type UserContext<I> = { input: I; user: SignedInUser; actor: Actor; raw: Record<string, string>; form: FormData };

/** What `run` receives in an account action: also the resource, its account and the caller's role there. */
export type AccountContext<I, R> = UserContext<I> & { resource: R; account: RoleAccount; role: Role };

/** Loads the resource an action acts on from its parsed input; null when it does not exist. `accountId` is the owner. */
export type ResourceLoader<I, R> = (input: I) => Promise<{ accountId: number; value: R } | null>;

type Common<S extends z.ZodType, State> = {
  /** Names the action in the server log. */
  name: string;
  /** Parses the form's text fields (`Object.fromEntries`); use `z.coerce`/strings, FormData holds strings. */
  schema: S;
  /** Turns a refusal into the action's state. */
  fail: (refusal: Refusal) => State;
};

/** The form's text fields as an object (files are left out). */
function rawFields(form: FormData): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of form.entries()) if (typeof value === "string") raw[key] = value;
  return raw;
}

function fieldErrorsOf(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "form";
    out[key] ??= issue.message;
  }
  return out;
}

/**
 * The page a server action was called from, as a path to return to after signing in, or undefined. It is the
 * request's `Referer` (the page's URL; browsers send it on same-origin POSTs) when that URL is on the host the action
 * was sent to (the first `X-Forwarded-Host`, else `Host`: the rule proxy.ts applies to `Origin`), filtered by
 * `safeReturnPath` (lib/auth/redirect.ts: a same-site path, never /login, /signup or /api/auth). Anything else —
 * no Referer, another host, a rejected path — gives undefined, and the caller is sent to plain /login.
 */
export async function actionReturnPath(): Promise<string | undefined> {
  const h = await headers();
  const referer = h.get("referer");
  const host = h.get("x-forwarded-host")?.split(",")[0]?.trim() || h.get("host");
  if (!referer || !host) return undefined;
  let url: URL;
  try {
    url = new URL(referer);
  } catch {
    return undefined;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.host !== host.toLowerCase()) return undefined;
  const path = safeReturnPath(url.pathname + url.search);
  return path === "/" ? undefined : path;
}

/** The signed-in user, or a redirect to /login whose callbackUrl is the page the action came from. */
async function requireActionUser(): Promise<SignedInUser> {
  const user = (await getCurrentUser()) ?? (await requireUser(await actionReturnPath()));
  annotateRequest({ userId: user.id }); // every later log line of this request names the user
  return user;
}

async function guarded<State>(name: string, userId: number, fail: () => State, body: () => Promise<State>): Promise<State> {
  try {
    return await body();
  } catch (error) {
    unstable_rethrow(error); // redirect(), notFound() and Next's own control flow
    log.error({ userId, err: error }, `${name} failed unexpectedly`);
    return fail();
  }
}

/** What `run` receives in a public action (signed-out pages: login, signup, password reset, invitation links). */
export type PublicContext<I> = { input: I; raw: Record<string, string>; form: FormData };

/**
 * Makes a server action that needs no session (login, signup, forgot/reset password, invitation and email links):
 * parse → run, with one catch. Whatever it changes, `run` authorizes by what the form proves (a password, a link
 * token), never by an id it names.
 */
export function publicAction<S extends z.ZodType, State>(
  def: Common<S, State> & { run: (ctx: PublicContext<z.output<S>>) => Promise<State> },
): (prev: State, form: FormData) => Promise<State> {
  return async (_prev, form) => {
    const raw = rawFields(form);
    const refuse = (kind: RefusalKind, message: string, fieldErrors: Record<string, string> = {}) =>
      def.fail({ kind, message, fieldErrors, raw });
    const parsed = def.schema.safeParse(raw);
    if (!parsed.success) return refuse("invalid", UNREADABLE_FORM_MESSAGE, fieldErrorsOf(parsed.error));
    return guarded(
      def.name,
      0,
      () => refuse("unexpected", UNEXPECTED_MESSAGE),
      () => def.run({ input: parsed.data, raw, form }),
    );
  };
}

/**
 * Makes a server action for a signed-in user acting on their own login (settings, tokens, 2FA): session → parse →
 * run, with one catch. A signed-out caller is redirected to /login, with the page the action was called from as
 * its callbackUrl when that page is one of ours (`actionReturnPath`).
 */
export function userAction<S extends z.ZodType, State>(
  def: Common<S, State> & { run: (ctx: UserContext<z.output<S>>) => Promise<State> },
): (prev: State, form: FormData) => Promise<State> {
  return async (_prev, form) => {
    const user = await requireActionUser();
    const raw = rawFields(form);
    const refuse = (kind: RefusalKind, message: string, fieldErrors: Record<string, string> = {}) =>
      def.fail({ kind, message, fieldErrors, raw });
    const parsed = def.schema.safeParse(raw);
    if (!parsed.success) return refuse("invalid", UNREADABLE_FORM_MESSAGE, fieldErrorsOf(parsed.error));
    return guarded(
      def.name,
      user.id,
      () => refuse("unexpected", UNEXPECTED_MESSAGE),
      () => def.run({ input: parsed.data, user, actor: actorOf(user), raw, form }),
    );
  };
}

/**
 * Makes a server action on an account's resource: session → parse → load the resource → its account → the
 * caller's effective role (membership minus the two-factor block) → `permission` → run, with one catch.
 * Non-members and missing resources get NOT_FOUND_MESSAGE; a role without the permission gets the role sentence
 * ("Your role in this account (Viewer) cannot …", with `what`); a member blocked by the account's 2FA requirement
 * gets that requirement's message. The account always comes from the resource row, never from the form.
 */
export function accountAction<S extends z.ZodType, R, State>(
  def: Common<S, State> & {
    /** Loads the resource from the parsed form. Declare it as a const before the call (TypeScript then infers R). */
    resource: ResourceLoader<z.output<S>, R>;
    permission: Permission;
    /** Completes "Your role in this account (Viewer) cannot …", e.g. "create environments". */
    what: string;
    run: (ctx: AccountContext<z.output<S>, R>) => Promise<State>;
  },
): (prev: State, form: FormData) => Promise<State> {
  return async (_prev, form) => {
    const user = await requireActionUser();
    const raw = rawFields(form);
    const refuse = (kind: RefusalKind, message: string, fieldErrors: Record<string, string> = {}) =>
      def.fail({ kind, message, fieldErrors, raw });
    const parsed = def.schema.safeParse(raw);
    if (!parsed.success) return refuse("invalid", UNREADABLE_FORM_MESSAGE, fieldErrorsOf(parsed.error));
    return guarded(
      def.name,
      user.id,
      () => refuse("unexpected", UNEXPECTED_MESSAGE),
      async () => {
        const found = await def.resource(parsed.data);
        if (!found) return refuse("not_found", NOT_FOUND_MESSAGE);
        const membership = await effectiveRole(found.accountId, user.id);
        if (membership.kind === "none") return refuse("not_found", NOT_FOUND_MESSAGE);
        if (membership.kind === "blocked") return refuse("two_factor", TWO_FACTOR_REQUIRED_MESSAGE);
        if (!can(membership.role, def.permission)) {
          return refuse("forbidden", forbiddenMessage(membership.role, def.what, def.permission));
        }
        return def.run({
          input: parsed.data,
          user,
          actor: actorOf(user),
          raw,
          form,
          resource: found.value,
          account: membership.account,
          role: membership.role,
        });
      },
    );
  };
}
