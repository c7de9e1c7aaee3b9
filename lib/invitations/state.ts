import type { InvitationStatus } from "@/db/schema";

// Pure rules of an invitation link (docs/product.md §3.2): what state a row is in at a given time, and the words for it.

/** What an invitation link can be at a moment: usable (`pending`), or one of the reasons it no longer works. */
export type InvitationState = "pending" | "expired" | "accepted" | "revoked" | "replaced";

/** The state of an invitation row at `now`: its stored status, or `expired` for a pending row past `expiresAt`. */
export function invitationState(row: { status: InvitationStatus; expiresAt: Date }, now: Date = new Date()): InvitationState {
  if (row.status !== "pending") return row.status;
  return now.getTime() >= row.expiresAt.getTime() ? "expired" : "pending";
}

/** True for a string shaped like a link token of lib/tokens (32 bytes, base64url = 43 characters). */
export function isLinkTokenShape(token: unknown): token is string {
  return typeof token === "string" && /^[A-Za-z0-9_-]{43}$/.test(token);
}

/** A heading and a sentence for a link that no longer works, e.g. for `replaced`: "a newer invitation was sent…". */
export function refusalText(
  state: Exclude<InvitationState, "pending">,
  ctx: { inviterName: string; accountName: string },
): { title: string; body: string } {
  switch (state) {
    case "expired":
      return {
        title: "This invitation has expired",
        body: `Invitation links work for a limited time. Ask ${ctx.inviterName} (or another admin of ${ctx.accountName}) to send you a new one.`,
      };
    case "accepted":
      return { title: "This invitation was already used", body: "Each invitation link works once, and this one has been accepted." };
    case "replaced":
      return {
        title: "A newer invitation was sent",
        body: `This link was replaced by a newer invitation to ${ctx.accountName}: use the link in the latest email.`,
      };
    case "revoked":
      return {
        title: "This invitation was revoked",
        body: `An admin of ${ctx.accountName} withdrew this invitation. Ask them if you think this is a mistake.`,
      };
  }
}
