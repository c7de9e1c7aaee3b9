import type { Metadata } from "next";
import { checkEmailChangeUndoToken } from "@/lib/user-settings/email-change-undo";
import { LinkStatus } from "../../../_components/link-status";
import { UNDO_LINK_PROBLEMS } from "./messages";
import { UndoEmailChangeForm } from "./undo-form";

export const metadata: Metadata = { title: "Undo email change" };
export const dynamic = "force-dynamic";

/**
 * Opens a "This wasn't me" link, mailed to the old address after an email change (docs/product.md §3.1): a valid
 * link shows both addresses and a button (opening the link alone changes nothing); a used, expired, unknown or taken
 * link explains itself. Needs no session: the link is the proof.
 */
export default async function UndoEmailChangePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const result = await checkEmailChangeUndoToken(token);
  if (result.status === "valid") return <UndoEmailChangeForm token={token} current={result.current} restore={result.restore} />;
  const problem = UNDO_LINK_PROBLEMS[result.status];
  return (
    <LinkStatus
      title={problem.title}
      next={{ href: "/login", label: "Log in" }}
      secondary={{ href: "/forgot-password", label: "Reset the password" }}
    >
      <p>{problem.text}</p>
    </LinkStatus>
  );
}
