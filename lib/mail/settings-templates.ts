import { composeMail, consoleLink, type Mail } from "./index";

// Mails of the user's own settings (SPEC §3.1): email change. Links are built from APP_URL only (`consoleLink`).

/** Hours an email change link stays valid. */
export const CHANGE_EMAIL_TTL_HOURS = 24;

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

/** The notice to the OLD address that the login's email is now `newEmail`. */
export function emailChangedMail(params: { to: string; newEmail: string }): Mail {
  return composeMail({
    to: params.to,
    subject: "Your Edge Console login email was changed",
    paragraphs: [
      `The email of your Edge Console login was changed from ${params.to} to ${params.newEmail}. You now sign in with ${params.newEmail}.`,
      "If this was not you, reset your password from the login page with the new address, or contact your console's operator.",
    ],
    action: { label: "Open your settings", url: consoleLink("/settings") },
  });
}
