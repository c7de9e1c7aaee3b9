import type { Page } from "@playwright/test";
import { encode } from "next-auth/jwt";
import { createAccount as createAccountRow } from "@/lib/accounts/queries";
import { listMembers } from "@/lib/members/queries";
import { createUser, getUserByEmail, setLastAccount } from "@/lib/users/queries";
import type { Role } from "@/db/schema";
import { accountNameField } from "@/lib/accounts/fields";
import { createApplicationFromInput } from "@/lib/applications/from-input";
import { normaliseEmail } from "@/lib/auth/email";
import { sendVerificationMail } from "@/lib/auth/email-verification";
import { hashPassword } from "@/lib/auth/password";
import { SESSION_MAX_AGE_SECONDS, startUserSession } from "@/lib/auth/sessions";
import { authSecret } from "@/lib/config";
import { acceptInvitation } from "@/lib/invitations/accept";
import { createInvitation } from "@/lib/invitations/manage";
import { DEFAULT_STACK_ID } from "@/lib/stacks/catalog";
import { connectToConsole } from "./db";
import { E2E } from "./env";

// People and their accounts made by the test process through the product's own functions (never an HTTP route of
// the build): a user as signup writes it (argon2id hash), a session row and the Auth.js session cookie a sign-in
// would give the browser, accounts and applications as their forms create them, memberships through an invitation
// accepted. The signup form itself is exercised by e2e/journey.spec.ts and e2e/auth.spec.ts.

/** The password every person made here signs in with. */
export const PASSWORD = "correct horse battery";

/** Auth.js's session cookie over plain HTTP; its name is also the salt of the encrypted token (lib/auth/session). */
const SESSION_COOKIE = "authjs.session-token";

/** A user made by the test process. */
export type Person = { id: number; email: string; name: string | null; sessionVersion: number; password: string };

/** The audit actor of a person, as lib/actions `actorOf` makes it for a signed-in user. */
const actorOf = (person: Person) => ({ id: person.id, name: person.name ?? person.email });

/** Creates a user as the signup form does (email normalised, argon2id hash), without signing anyone in. */
export async function createPerson(email: string, options: { password?: string; name?: string } = {}): Promise<Person> {
  connectToConsole();
  const password = options.password ?? PASSWORD;
  const created = await createUser({
    email: normaliseEmail(email),
    name: options.name ?? null,
    passwordHash: await hashPassword(password),
  });
  if (!created.ok) throw new Error(`e2e: ${email} is already signed up`);
  const { id, name, sessionVersion } = created.user;
  return { id, email: created.user.email, name, sessionVersion, password };
}

/**
 * Signs `page`'s browser in as `person`, as a sign-in would: a session row (`signin.success` in the security log,
 * with this browser's User-Agent) and its key in an Auth.js session token encrypted with the console's secret.
 */
export async function signIn(page: Page, person: Person): Promise<void> {
  connectToConsole();
  const userAgent = await page.evaluate(() => navigator.userAgent);
  const sk = await startUserSession({ userId: person.id, request: { ip: "127.0.0.1", userAgent } });
  const value = await encode({
    token: { sub: String(person.id), name: person.name, email: person.email, uid: person.id, sv: person.sessionVersion, sk },
    secret: authSecret(),
    salt: SESSION_COOKIE,
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
  await page.context().addCookies([
    {
      name: SESSION_COOKIE,
      value,
      url: E2E.baseUrl,
      httpOnly: true,
      sameSite: "Lax",
      expires: Math.floor(Date.now() / 1000) + SESSION_MAX_AGE_SECONDS,
    },
  ]);
}

/** Signs `email` up and `page`'s browser in as them (what the signup form does, minus its page); the page stays where it is. */
export async function signUp(page: Page, email: string, options: { password?: string; name?: string } = {}): Promise<Person> {
  const person = await createPerson(email, options);
  await signIn(page, person);
  return person;
}

/** Mails `person` a link to verify their address, as signup does after its response (lib/auth/email-verification). */
export async function mailVerificationLink(person: Person): Promise<void> {
  connectToConsole();
  if (!(await sendVerificationMail(person))) throw new Error(`e2e: the verification mail to ${person.email} was not sent`);
}

/** Creates an account with `owner` as its owner, as /account/new does; returns its id. */
export async function createAccount(owner: Person, name: string): Promise<number> {
  connectToConsole();
  const account = await createAccountRow({ name: accountNameField.parse(name), owner: actorOf(owner) });
  await setLastAccount({ userId: owner.id, accountId: account.id });
  return account.id;
}

/**
 * Creates an application in the account as the wizard does with its defaults (the default stack, origin `origin`)
 * through the one creation path (lib/applications `createApplicationFromInput`); returns the application page's path.
 */
export async function createApplication(actor: Person, accountId: number, hostname: string, origin = "203.0.113.7"): Promise<string> {
  connectToConsole();
  const created = await createApplicationFromInput({
    actor: actorOf(actor),
    hostname,
    origin: { address: origin },
    stackId: DEFAULT_STACK_ID,
    account: { id: accountId },
  });
  if (!created.ok) throw new Error(`e2e: ${hostname} was not created: ${created.message}`);
  return `/account/${created.account.id}/application/${created.application.id}`;
}

/** The user with this email as the console stores it, or undefined. */
export async function findUser(email: string) {
  connectToConsole();
  return getUserByEmail({ email: normaliseEmail(email) });
}

/** The membership of the user with `email` in the account (its id and role, as the members page lists it), or undefined. */
export async function membershipOf(email: string, accountId: number) {
  connectToConsole();
  return (await listMembers({ accountId })).find((m) => m.email === normaliseEmail(email));
}

/**
 * Makes the user with `email` a member of the account with `role` the way people join: an owner of the account
 * invites the address (the invitation mail goes to the e2e mailbox) and the user accepts (which also verifies their
 * address, as opening the mailed link proves it).
 */
export async function addMembership(email: string, accountId: number, role: Role): Promise<void> {
  connectToConsole();
  const user = await getUserByEmail({ email: normaliseEmail(email) });
  if (!user) throw new Error(`e2e: no user ${email}`);
  const owner = (await listMembers({ accountId })).find((m) => m.role === "owner");
  if (!owner) throw new Error(`e2e: account ${accountId} has no owner`);
  const invited = await createInvitation({
    accountId,
    actor: { id: owner.userId, name: owner.name ?? owner.email },
    email: user.email,
    role,
  });
  if (!invited.ok) throw new Error(`e2e: ${email} was not invited: ${invited.message}`);
  const accepted = await acceptInvitation({ token: invited.token, actor: { id: user.id, name: user.name ?? user.email } });
  if (!accepted.ok) throw new Error(`e2e: ${email} did not join: ${accepted.reason}`);
}
