/** Why a "This wasn't me" link does not work, with what to do (shown on /change-email/undo/<token>). */
export const UNDO_LINK_PROBLEMS = {
  unknown: {
    title: "This link is not valid",
    text: "The link may be incomplete, or the change was already undone with another link. If you cannot log in, reset your password from the login page.",
  },
  used: {
    title: "This link was already used",
    text: "The email change was undone and every session was signed out. Log in with your old address, or reset your password from the login page.",
  },
  expired: {
    title: "This link has expired",
    text: "“This wasn't me” links are valid for 7 days. If you cannot log in any more, contact your console's operator.",
  },
  taken: {
    title: "That address is taken",
    text: "Another user signed up with your old address meanwhile, so it cannot become your login’s email again. Contact your console's operator.",
  },
} as const;
