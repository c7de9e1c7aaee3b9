import type { LinkProblem } from "../../_components/link-status";

/** Heading and explanation for a reset link that cannot be used (each reason its own words). */
export const RESET_LINK_PROBLEMS: Record<LinkProblem, { title: string; text: string }> = {
  expired: { title: "This link has expired", text: "Password reset links are valid for 1 hour. Ask for a new one below." },
  used: {
    title: "This link was already used",
    text: "Each reset link works once. If you did not change your password yourself, ask for a new link.",
  },
  unknown: {
    title: "This link is not valid",
    text: "The link may be incomplete, or a newer reset link replaced it. Open the link from the latest mail, or ask for a new one.",
  },
  "email-changed": {
    title: "This link is for an old address",
    text: "The link was sent to an address that is no longer this login’s email. Ask for a new link.",
  },
};
