import { composeMail, consoleLink, type Mail } from "./index";

// Mails of the user's own settings (docs/product.md §3.1): email change. Links are built from APP_URL only (`consoleLink`).

/** Hours an email change link stays valid. */
export const CHANGE_EMAIL_TTL_HOURS = 24;
/** Days the "This wasn't me" link of an email change (mailed to the old address) stays valid. */
export const REVERT_EMAIL_CHANGE_TTL_DAYS = 7;

/** The mail to the NEW address with the link `/change-email/<token>` that makes it the login's email. */
export function changeEmailConfirmMail(params: { to: string; from: string; token: string }): Mail {
  return composeMail({
    to: params.to,
    subject: "Confirm your new email address for Edge Console",
    paragraphs: [
      `Someone asked to change the email of the Edge Console login ${params.from} to ${params.to}.`,
      `Open the link below to confirm: until then, the login keeps using ${params.from}. The link works once and expires in ${CHANGE_EMAIL_TTL_HOURS} hours.`,
    ],
    action: { label: "Confirm new email address", url: consoleLink(`/change-email/${encodeURIComponent(params.token)}`) },
    footer: "If you did not ask for this, ignore this mail: nothing changes.",
  });
}

/** The notice to the OLD address that a change to `newEmail` was requested (nothing changes until confirmed). */
export function emailChangeRequestedMail(params: { to: string; newEmail: string }): Mail {
  return composeMail({
    to: params.to,
    subject: "Email change requested for your Edge Console login",
    paragraphs: [
      `Someone signed in as ${params.to} asked to change this login's email to ${params.newEmail}.`,
      `Nothing changes until the link sent to ${params.newEmail} is opened. If this was not you, change your password now and sign out everywhere.`,
    ],
    action: { label: "Review your security log", url: consoleLink("/settings/security-log") },
  });
}

/**
 * The notice to the OLD address that the login's email is now `newEmail`, with the one-click "This wasn't me" link
 * `/change-email/undo/<token>` (single use, valid `REVERT_EMAIL_CHANGE_TTL_DAYS`): it restores this address and
 * signs the login out everywhere. The link opens a page with a button, so a mail scanner opening it changes nothing.
 */
export function emailChangedMail(params: { to: string; newEmail: string; undoToken: string }): Mail {
  return composeMail({
    to: params.to,
    subject: "Your Edge Console login email was changed",
    paragraphs: [
      `The email of your Edge Console login was changed from ${params.to} to ${params.newEmail}. You now sign in with ${params.newEmail}, and every other browser was signed out.`,
      `If this was not you, open the link below within ${REVERT_EMAIL_CHANGE_TTL_DAYS} days: it makes ${params.to} the login's email again and signs the login out everywhere. Then reset your password from the login page.`,
    ],
    action: { label: "This wasn't me", url: consoleLink(`/change-email/undo/${encodeURIComponent(params.undoToken)}`) },
    footer: "If you changed it yourself, ignore this mail.",
  });
}
