/** Why an email change link does not work, with what to do (shown on /change-email/<token>). */
export const EMAIL_CHANGE_PROBLEMS = {
  unknown: {
    title: "This link is not valid",
    text: "The link may be incomplete, or a newer email change replaced it. Open the link from the latest mail, or start again in your settings.",
  },
  used: {
    title: "This link was already used",
    text: "Each email change link works once. Your settings show the address you sign in with.",
  },
  expired: { title: "This link has expired", text: "Email change links are valid for 24 hours. Start the change again in your settings." },
  taken: {
    title: "That address is taken",
    text: "Another user signed up with this address meanwhile, so it cannot become your login’s email.",
  },
  same: { title: "Nothing to change", text: "Your login already uses this address." },
  "other-user": {
    title: "This link is for another login",
    text: "You are signed in as another user: nothing was changed. Reload the page to log out and continue.",
  },
} as const;
