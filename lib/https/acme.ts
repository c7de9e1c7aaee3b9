import https from "node:https";
import tls from "node:tls";
import * as acme from "acme-client";
import { eq } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import { acmeAccounts } from "@/db/schema";
import { openPrivateKey, sealPrivateKey } from "./secret-box";
import { acmeEnabled, acmeSettings, readCaBundle, type AcmeSettings } from "./settings";

// The console's ACME client (RFC 8555; docs/product.md §9, docs/https.md "Orders"): one account per console (per
// directory URL), its key sealed in acme_accounts; orders for one hostname over HTTP-01. The challenge answer reaches
// the edge through the desired state (the caller's `publish`), and the CA is told only once every active node
// answers it. acme-client's own check of the challenge is skipped: the pre-flight did it, through the edge.

/** Poll back-off while the CA validates and issues (ms): low, so an order takes well under a second on pebble. */
export const ACME_BACKOFF = { backoffAttempts: 12, backoffMin: 100, backoffMax: 2000 } as const;

/** The sealing context of the account key. */
function accountKeyContext(directoryUrl: string): string {
  return `acme-account:${directoryUrl}`;
}

let trustedBundle: string | null = null;

/** Makes acme-client's HTTP client trust the system CAs plus `ACME_CA_BUNDLE` (when set). */
function trustCaBundle(s: AcmeSettings): void {
  const bundle = readCaBundle(s);
  if (bundle === trustedBundle) return;
  trustedBundle = bundle;
  acme.axios.defaults.httpsAgent = bundle ? new https.Agent({ ca: [...tls.rootCertificates, bundle], keepAlive: true }) : undefined;
}

/**
 * The ACME client for the configured directory, with the console's account: the stored one (key opened from
 * acme_accounts), or a new one (an ECDSA P-256 key made, sealed and stored first — a unique directory URL makes two
 * processes share one key — then registered with `termsOfServiceAgreed` and the `ACME_EMAIL` contact; the account URL
 * is stored). Throws when issuance is off, on a CA error (its problem detail as the message), or when the stored key
 * does not open.
 */
export async function acmeClient(s: AcmeSettings = acmeSettings()): Promise<acme.Client> {
  if (!acmeEnabled(s)) throw new Error("ACME is off: ACME_DIRECTORY_URL and ACME_EMAIL are not both set");
  trustCaBundle(s);
  const directoryUrl = s.directoryUrl!;
  const context = accountKeyContext(directoryUrl);
  let row = await first(getDb().select().from(acmeAccounts).where(eq(acmeAccounts.directoryUrl, directoryUrl)));
  if (!row) {
    const key = (await acme.crypto.createPrivateEcdsaKey("P-256")).toString();
    row = await writeTransaction(async (tx) => {
      await tx
        .insert(acmeAccounts)
        .values({ directoryUrl, email: s.email!, keySealed: sealPrivateKey(context, key) })
        .onConflictDoNothing();
      return (await first(tx.select().from(acmeAccounts).where(eq(acmeAccounts.directoryUrl, directoryUrl))))!;
    });
  }
  const accountKey = openPrivateKey(context, row.keySealed);
  const client = new acme.Client({ directoryUrl, accountKey, accountUrl: row.accountUrl ?? undefined, ...ACME_BACKOFF });
  if (!row.accountUrl) {
    await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${s.email}`] });
    const accountUrl = client.getAccountUrl();
    await writeTransaction(async (tx) => {
      await tx.update(acmeAccounts).set({ accountUrl }).where(eq(acmeAccounts.id, row!.id));
    });
  }
  return client;
}

/** The account the console uses for the configured directory, as the UI shows it (never the key), or null. */
export async function acmeAccountView(s: AcmeSettings = acmeSettings()): Promise<{ email: string; accountUrl: string | null } | null> {
  if (!s.directoryUrl) return null;
  const row = await first(
    getDb()
      .select({ email: acmeAccounts.email, accountUrl: acmeAccounts.accountUrl })
      .from(acmeAccounts)
      .where(eq(acmeAccounts.directoryUrl, s.directoryUrl)),
  );
  return row ?? null;
}

/** Where an order failed: `acme` (the CA refused or the challenge failed) or `nodes` (the edge did not apply it in time). */
export class AcmeOrderError extends Error {
  readonly step: "acme" | "nodes";
  constructor(step: "acme" | "nodes", message: string) {
    super(message);
    this.name = "AcmeOrderError";
    this.step = step;
  }
}

/** What an order brings back: the chain (leaf first, PEM) and its new private key (PEM; the caller seals it). */
export type IssuedCertificate = { chainPem: string; keyPem: string; timings: { total: number; validation: number } };

/** One line from a CA error without anything but the CA's own words (acme-client puts the problem detail in the message). */
function caMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, " ").trim().slice(0, 500);
}

/**
 * Orders a certificate for `hostname` (A-label) over HTTP-01 (RFC 8555 §7.4, §8.3): creates the order, takes the
 * authorization's http-01 challenge, computes the key authorization, hands token and key authorization to
 * `publish` (which stores them for the desired state and resolves once every active node answers them, or rejects
 * with an {@link AcmeOrderError} `nodes`), then tells the CA, waits for the challenge to be valid, finalizes with a
 * CSR for a new ECDSA P-256 key and downloads the chain. An authorization the CA already holds as valid skips the
 * challenge. `withdraw` is called with the token at the end (success or not). Throws {@link AcmeOrderError}.
 */
export async function orderCertificate(input: {
  hostname: string;
  client?: acme.Client;
  publish: (token: string, keyAuthorization: string) => Promise<void>;
  withdraw: (token: string) => Promise<void>;
}): Promise<IssuedCertificate> {
  const started = Date.now();
  let validation = 0;
  let client: acme.Client;
  try {
    client = input.client ?? (await acmeClient());
  } catch (error) {
    throw new AcmeOrderError("acme", `The ACME account could not be used: ${caMessage(error)}`);
  }
  const tokens: string[] = [];
  try {
    const order = await client.createOrder({ identifiers: [{ type: "dns", value: input.hostname }] });
    const authorizations = await client.getAuthorizations(order);
    for (const authz of authorizations) {
      if (authz.status === "valid") continue;
      const challenge = authz.challenges.find((c) => c.type === "http-01");
      if (!challenge) throw new AcmeOrderError("acme", `The CA offered no http-01 challenge for ${authz.identifier.value}.`);
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge);
      tokens.push(challenge.token);
      await input.publish(challenge.token, keyAuthorization);
      const validationStart = Date.now();
      await client.completeChallenge(challenge);
      await client.waitForValidStatus(challenge);
      validation += Date.now() - validationStart;
    }
    const [key, csr] = await acme.crypto.createCsr({ altNames: [input.hostname] }, await acme.crypto.createPrivateEcdsaKey("P-256"));
    const finalized = await client.finalizeOrder(order, csr);
    const chainPem = await client.getCertificate(finalized);
    return { chainPem, keyPem: key.toString(), timings: { total: Date.now() - started, validation } };
  } catch (error) {
    if (error instanceof AcmeOrderError) throw error;
    throw new AcmeOrderError("acme", `The CA refused the order for ${input.hostname}: ${caMessage(error)}`);
  } finally {
    for (const token of tokens) await input.withdraw(token).catch(() => undefined);
  }
}
