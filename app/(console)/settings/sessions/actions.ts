"use server";

import { headers } from "next/headers";
import { revalidatePath } from "next/cache";
import { z } from "zod";
import { userAction } from "@/lib/actions";
import { reissueSession } from "@/lib/auth/auth";
import { toId } from "@/lib/auth/access";
import { getCurrentSessionKey } from "@/lib/auth/session";
import { revokeUserSession, signOutEverywhere } from "@/lib/auth/sessions";
import { requestInfo } from "@/lib/security-log/request-info";

/** What a session form shows after a submit: an error or a confirmation. */
export type SessionActionState = { error?: string; message?: string };

/** Signs one of the signed-in user's own sessions out; another user's (or an unknown) session id is "not found". */
export const revokeSessionAction = userAction({
  name: "revoke session",
  schema: z.object({ sessionId: z.string().default("") }),
  fail: (refusal): SessionActionState => ({ error: refusal.message }),
  run: async ({ input, user }): Promise<SessionActionState> => {
    const sessionId = toId(input.sessionId);
    const result =
      sessionId === null ? null : await revokeUserSession({ userId: user.id, sessionId, request: requestInfo(await headers()) });
    if (!result?.ok) return { error: "Not found: this session does not exist, is not yours or has already ended." };
    revalidatePath("/settings/sessions");
    return { message: "Signed out." };
  },
});

/**
 * "Sign out everywhere" (docs/product.md §3.1): bumps the user's session version and revokes every other session;
 * this browser stays signed in (its token is re-issued with a new session key and the new version), as on GitHub or
 * Vercel.
 */
export const signOutEverywhereAction = userAction({
  name: "sign out everywhere",
  schema: z.object({}),
  fail: (refusal): SessionActionState => ({ error: refusal.message }),
  run: async ({ user }): Promise<SessionActionState> => {
    const result = await signOutEverywhere({
      userId: user.id,
      keepSessionKey: await getCurrentSessionKey(),
      request: requestInfo(await headers()),
    });
    // As after a password change: this browser's token is re-issued with the new version, which re-renders the page.
    if (result.keptSessionKey) await reissueSession(result.keptSessionKey);
    return {
      message:
        result.revoked === 0
          ? "No other sessions were open."
          : `Signed out of ${result.revoked} other ${result.revoked === 1 ? "session" : "sessions"}.`,
    };
  },
});
