import { composeMail, consoleLink, type Mail } from "./index";

// The texts of the console's mails, one function per mail. Links are built from APP_URL only (`consoleLink`).

/** Hours an email verification link stays valid. */
export const VERIFY_EMAIL_TTL_HOURS = 24;
/** Minutes a password reset link stays valid. */
export const RESET_PASSWORD_TTL_MINUTES = 60;

/** The mail that proves a user owns `to`: a link to `/verify-email/<token>`, valid 24 hours (docs/product.md §3.1). */
export function verifyEmailMail(params: { to: string; token: string }): Mail {
  return composeMail({
    to: params.to,
    subject: "Verify your email address for Edge Console",
    paragraphs: [
      `Confirm that ${params.to} is your email address by opening the link below.`,
      `The link works once and expires in ${VERIFY_EMAIL_TTL_HOURS} hours.`,
    ],
    action: { label: "Verify email address", url: consoleLink(`/verify-email/${encodeURIComponent(params.token)}`) },
    footer: "If you did not sign up for Edge Console, ignore this mail.",
  });
}

/** The mail with a link to `/reset-password/<token>` to choose a new password, valid 1 hour (docs/product.md §3.1). */
export function resetPasswordMail(params: { to: string; token: string }): Mail {
  return composeMail({
    to: params.to,
    subject: "Reset your Edge Console password",
    paragraphs: [
      `Someone asked to reset the password of the Edge Console login ${params.to}.`,
      `To choose a new password, open the link below. It works once and expires in ${RESET_PASSWORD_TTL_MINUTES} minutes. Setting a new password signs you out on every device.`,
    ],
    action: { label: "Choose a new password", url: consoleLink(`/reset-password/${encodeURIComponent(params.token)}`) },
    footer: "If you did not ask for this, ignore this mail: your password stays as it is.",
  });
}

/**
 * The invitation to join an account (docs/product.md §3.2): who invited whom to which account with which role, and the link
 * `/invite/<token>` (single use, valid `ttlHours`). `role` is the display name ("Developer").
 */
export function invitationMail(params: {
  to: string;
  token: string;
  accountName: string;
  inviterName: string;
  role: string;
  ttlHours: number;
}): Mail {
  const { to, accountName, inviterName, role, ttlHours } = params;
  return composeMail({
    to,
    subject: `${inviterName} invited you to ${accountName} on Edge Console`,
    paragraphs: [
      `${inviterName} invited you to join the account (organization) "${accountName}" on Edge Console with the role ${role}.`,
      `Open the link below to accept: you can sign up or log in with ${to} on the way. The link works once and expires in ${ttlHours} ${ttlHours === 1 ? "hour" : "hours"}.`,
    ],
    action: { label: "Accept the invitation", url: consoleLink(`/invite/${encodeURIComponent(params.token)}`) },
    footer: "If you did not expect this invitation, ignore this mail.",
  });
}

/**
 * The alert to an account's owners and admins when a live domain stops pointing at the edge (docs/product.md §3.5): what the
 * check found (CNAME chain, A/AAAA), what is expected, and a link to the application's page.
 */
export function domainFlaggedMail(params: {
  to: string;
  hostname: string;
  accountName: string;
  applicationName: string;
  applicationPath: string;
  found: { chain: string[]; a: string[]; aaaa: string[]; explanation: string };
  expected: string;
}): Mail {
  const { hostname, found } = params;
  const none = (list: string[]) => (list.length ? list.join(", ") : "none");
  return composeMail({
    to: params.to,
    subject: `${hostname} stopped pointing at the edge`,
    paragraphs: [
      `${hostname} of the application "${params.applicationName}" in the account "${params.accountName}" was live, but its DNS no longer points at the edge.`,
      `Found: ${[hostname, ...found.chain].join(" → ")}${found.chain.length ? "" : " (no CNAME)"}; A: ${none(found.a)}; AAAA: ${none(found.aaaa)}.`,
      `Expected: ${params.expected}. To fix it: ${found.explanation}`,
    ],
    action: { label: "Open the application", url: consoleLink(params.applicationPath) },
    footer:
      "You receive this mail as an owner or admin of the account. The console keeps checking and clears the alert when the domain is live again.",
  });
}
