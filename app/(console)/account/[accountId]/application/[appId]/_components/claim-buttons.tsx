"use client";

import { useActionState, useState } from "react";
import { verifyClaimAction, withdrawClaimAction, type ClaimActionState } from "../environment/claim-actions";

const TEXT = {
  error: "text-xs text-red-600 dark:text-red-400",
  info: "text-xs text-slate-600 dark:text-slate-400",
  success: "text-xs text-emerald-700 dark:text-emerald-300",
};

/** "Verify now" and "Withdraw" (asked once more) for one claim; the outcome appears under the buttons. */
export function ClaimButtons(props: { claimId: number; hostname: string; canVerify: boolean; canManage: boolean }) {
  const [verified, verify, verifying] = useActionState<ClaimActionState, FormData>(verifyClaimAction, {});
  const [withdrawn, withdraw, withdrawing] = useActionState<ClaimActionState, FormData>(withdrawClaimAction, {});
  const [asking, setAsking] = useState(false);
  const shown = (withdrawn.at ?? 0) > (verified.at ?? 0) ? withdrawn : verified;
  const button =
    "rounded-md bg-white dark:bg-slate-900 px-3 py-1.5 text-sm font-semibold shadow-sm ring-1 ring-inset disabled:cursor-not-allowed disabled:text-slate-400 dark:disabled:text-slate-500";
  return (
    <div className="flex flex-col items-end gap-1">
      <div className="flex flex-wrap items-center justify-end gap-2">
        {props.canVerify ? (
          <form action={verify}>
            <input type="hidden" name="claimId" value={props.claimId} />
            <button
              type="submit"
              disabled={verifying}
              className={`${button} text-slate-900 dark:text-slate-100 ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50`}
            >
              {verifying ? "Checking…" : "Verify now"}
            </button>
          </form>
        ) : null}
        {props.canManage && !asking ? (
          <button
            type="button"
            onClick={() => setAsking(true)}
            className={`${button} text-red-700 dark:text-red-300 ring-red-200 dark:ring-red-900 hover:bg-red-50 dark:hover:bg-red-950/40`}
          >
            Withdraw
          </button>
        ) : null}
        {props.canManage && asking ? (
          <form action={withdraw} className="flex items-center gap-2">
            <input type="hidden" name="claimId" value={props.claimId} />
            <span className="text-xs text-slate-700 dark:text-slate-300">Withdraw the claim on {props.hostname}?</span>
            <button
              type="submit"
              disabled={withdrawing}
              className={`${button} text-red-700 dark:text-red-300 ring-red-300 dark:ring-red-800 hover:bg-red-50 dark:hover:bg-red-950/40`}
            >
              {withdrawing ? "Withdrawing…" : "Withdraw claim"}
            </button>
            <button
              type="button"
              onClick={() => setAsking(false)}
              className={`${button} text-slate-700 dark:text-slate-300 ring-slate-300 dark:ring-slate-600 hover:bg-slate-50 dark:hover:bg-slate-800/50`}
            >
              Cancel
            </button>
          </form>
        ) : null}
      </div>
      {shown.message ? (
        <p role="status" key={shown.at} className={TEXT[shown.tone ?? "info"]}>
          {shown.message}
        </p>
      ) : null}
    </div>
  );
}
