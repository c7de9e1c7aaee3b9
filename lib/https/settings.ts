import fs from "node:fs";

// The HTTPS settings (docs/product.md §6, §9), read from the environment on every call (tests change them): issuance
// is off until both ACME_DIRECTORY_URL and ACME_EMAIL are set.

/** What the ACME client needs; null fields are unset. */
export type AcmeSettings = {
  /** `ACME_DIRECTORY_URL`: the CA's directory (RFC 8555 §7.1.1), e.g. https://acme-v02.api.letsencrypt.org/directory. */
  directoryUrl: string | null;
  /** `ACME_EMAIL`: the account's contact. */
  email: string | null;
  /** `ACME_CA_BUNDLE`: a PEM file of extra CAs trusted for the ACME server (test CAs such as pebble's). */
  caBundle: string | null;
  /** `ACME_CAA_IDENTITIES`: issuer domains CAA must allow (comma list, lower-case); empty: CAA is not checked. */
  caaIdentities: string[];
};

/** The ACME settings now. */
export function acmeSettings(env: NodeJS.ProcessEnv = process.env): AcmeSettings {
  const text = (v: string | undefined) => (v && v.trim() ? v.trim() : null);
  return {
    directoryUrl: text(env.ACME_DIRECTORY_URL),
    email: text(env.ACME_EMAIL),
    caBundle: text(env.ACME_CA_BUNDLE),
    caaIdentities: (env.ACME_CAA_IDENTITIES ?? "")
      .split(",")
      .map((x) => x.trim().toLowerCase())
      .filter(Boolean),
  };
}

/** True when ACME issuance is on: both `ACME_DIRECTORY_URL` and `ACME_EMAIL` are set. */
export function acmeEnabled(s: AcmeSettings = acmeSettings()): boolean {
  return !!s.directoryUrl && !!s.email;
}

/** The sentence the UI shows while issuance is off. */
export const ACME_OFF_MESSAGE =
  "Automatic certificates are off on this console: the operator sets ACME_DIRECTORY_URL and ACME_EMAIL to turn them on (agreeing to the CA's terms).";

/** The PEM text of `ACME_CA_BUNDLE`, or null when unset. Throws an Error naming the file when it cannot be read. */
export function readCaBundle(s: AcmeSettings = acmeSettings()): string | null {
  if (!s.caBundle) return null;
  try {
    return fs.readFileSync(s.caBundle, "utf8");
  } catch (error) {
    throw new Error(`ACME_CA_BUNDLE: cannot read ${s.caBundle} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/** Retry delays after a failed order (docs/product.md §9): every 10 minutes for 24 hours, then hourly. */
export const RETRY_FAST_MS = 10 * 60_000;
export const RETRY_SLOW_MS = 60 * 60_000;
export const RETRY_FAST_WINDOW_MS = 24 * 60 * 60_000;
/** Owners and admins are mailed when the served certificate expires within this time and renewal fails. */
export const EXPIRY_WARNING_MS = 14 * 24 * 60 * 60_000;
/** "Renew now" at most once per this time per domain. */
export const RENEW_NOW_INTERVAL_MS = 5 * 60_000;
/** How long an order holds its certificate's lease. */
export const ORDER_LEASE_MS = 10 * 60_000;
/** How long the console waits for every active node to apply a challenge. */
export const NODES_WAIT_MS = 90_000;
