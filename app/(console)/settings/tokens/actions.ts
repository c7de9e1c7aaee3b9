"use server";

import { revalidatePath } from "next/cache";
import { headers } from "next/headers";
import { createApiToken, createApiTokenSchema, revokeApiToken } from "@/lib/api-tokens";
import { toId } from "@/lib/auth/access";
import { requireUser } from "@/lib/auth/session";
import { requestInfo } from "@/lib/security-log/request-info";

/** What the "New token" form shows after a submit: field errors with the typed values, or the new token once. */
export type CreateTokenState = {
  fieldErrors?: { name?: string; expiresInDays?: string };
  values?: { name: string; expiresInDays: string; readOnly: boolean };
  /** The new token's value: in this answer only, never stored or shown again. */
  created?: { name: string; value: string; readOnly: boolean; expiresAt: string | null };
};

/** Creates a personal API token for the signed-in user (SPEC §3.6) and answers its value once. */
export async function createTokenAction(_prev: CreateTokenState, form: FormData): Promise<CreateTokenState> {
  const user = await requireUser("/settings/tokens");
  const values = {
    name: String(form.get("name") ?? ""),
    expiresInDays: String(form.get("expiresInDays") ?? ""),
    readOnly: form.get("readOnly") === "on",
  };
  const input = createApiTokenSchema.safeParse(values);
  if (!input.success) {
    const fieldErrors: CreateTokenState["fieldErrors"] = {};
    for (const issue of input.error.issues) {
      const field = issue.path[0] as keyof NonNullable<CreateTokenState["fieldErrors"]>;
      fieldErrors[field] ??= issue.message;
    }
    return { fieldErrors, values };
  }
  const { token, value } = await createApiToken({ userId: user.id, ...input.data, request: requestInfo(await headers()) });
  revalidatePath("/settings/tokens");
  return { created: { name: token.name, value, readOnly: token.readOnly, expiresAt: token.expiresAt?.toISOString() ?? null } };
}

/** What a "Revoke" confirmation shows after a submit (an error, or nothing: the list re-renders). */
export type RevokeTokenState = { error?: string };

/** Revokes one of the signed-in user's own tokens; another user's token id is "not found". */
export async function revokeTokenAction(_prev: RevokeTokenState, form: FormData): Promise<RevokeTokenState> {
  const user = await requireUser("/settings/tokens");
  const tokenId = toId(form.get("tokenId"));
  const result = tokenId === null ? null : await revokeApiToken({ userId: user.id, tokenId, request: requestInfo(await headers()) });
  if (!result?.ok) return { error: "Not found: this token does not exist or is not yours." };
  revalidatePath("/settings/tokens");
  return {};
}
