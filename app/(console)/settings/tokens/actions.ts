"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { z } from "zod";
import { userAction, type Refusal } from "@/lib/actions";
import { createApiToken, createApiTokenSchema, revokeApiToken } from "@/lib/api-tokens";
import { toId } from "@/lib/auth/access";
import { requestInfo } from "@/lib/security-log/request-info";

/** What the "New token" form shows after a submit: field errors with the typed values, or the new token once. */
export type CreateTokenState = {
  fieldErrors?: { name?: string; expiresInDays?: string };
  values?: { name: string; expiresInDays: string; readOnly: boolean };
  /** The new token's value: in this answer only, never stored or shown again. */
  created?: { name: string; value: string; readOnly: boolean; expiresAt: string | null };
  /** A refusal that is not about one field (an unreadable form, a failure on our side). */
  error?: string;
};

/** What was typed into the "New token" form. */
const typed = (raw: Refusal["raw"]) => ({ name: raw.name ?? "", expiresInDays: raw.expiresInDays ?? "", readOnly: raw.readOnly === "on" });

/** Creates a personal API token for the signed-in user (docs/product.md §3.6) and answers its value once. */
export const createTokenAction = userAction({
  name: "create token",
  schema: createApiTokenSchema,
  fail: (refusal): CreateTokenState => {
    const fieldErrors: NonNullable<CreateTokenState["fieldErrors"]> = {};
    for (const field of ["name", "expiresInDays"] as const) if (refusal.fieldErrors[field]) fieldErrors[field] = refusal.fieldErrors[field];
    const values = typed(refusal.raw);
    return refusal.kind === "invalid" && Object.keys(fieldErrors).length > 0 ? { fieldErrors, values } : { error: refusal.message, values };
  },
  run: async ({ input, user }): Promise<CreateTokenState> => {
    const { token, value } = await createApiToken({ userId: user.id, ...input, request: requestInfo(await headers()) });
    revalidatePath("/settings/tokens");
    return { created: { name: token.name, value, readOnly: token.readOnly, expiresAt: token.expiresAt?.toISOString() ?? null } };
  },
});

/** What a "Revoke" confirmation shows after a submit (an error, or nothing: the list re-renders). */
export type RevokeTokenState = { error?: string };

/** Revokes one of the signed-in user's own tokens; another user's token id is "not found". */
export const revokeTokenAction = userAction({
  name: "revoke token",
  schema: z.object({ tokenId: z.string().default("") }),
  fail: (refusal): RevokeTokenState => ({ error: refusal.message }),
  run: async ({ input, user }): Promise<RevokeTokenState> => {
    const tokenId = toId(input.tokenId);
    const result = tokenId === null ? null : await revokeApiToken({ userId: user.id, tokenId, request: requestInfo(await headers()) });
    if (!result?.ok) return { error: "Not found: this token does not exist or is not yours." };
    revalidatePath("/settings/tokens");
    return {};
  },
});
