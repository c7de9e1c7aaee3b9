// The state a members-page form keeps between submissions (useActionState). Not a server action module.
import type { Refusal } from "@/lib/actions";

type Field = "email" | "role" | "name" | "userId" | "confirm";

/** Outcome of a form on the members or settings page: a message for the form, errors next to fields, what was typed. */
export type FormState = {
  tone?: "error" | "success" | "info";
  message?: string;
  fieldErrors?: Partial<Record<Field, string>>;
  values?: Partial<Record<Exclude<Field, "userId">, string>>;
  /** Time of the answer, so the same message twice is announced twice. */
  at?: number;
};

/** An error message for the whole form. */
export const failure = (message: string, extra: Partial<FormState> = {}): FormState => ({
  tone: "error",
  message,
  at: Date.now(),
  ...extra,
});

/** A success message for the whole form. */
export const success = (message: string): FormState => ({ tone: "success", message, at: Date.now() });

/**
 * A refusal of the action wrapper (lib/actions) as this form's state: a form that did not parse because of one of
 * `fields` gets the messages next to those fields; anything else (not found, the role sentence, an unreadable form,
 * the unexpected) is the form's message. `values` (what was typed) are kept either way.
 */
export function refused(refusal: Refusal, fields: readonly Field[] = [], values?: FormState["values"]): FormState {
  const fieldErrors: FormState["fieldErrors"] = {};
  for (const field of fields) if (refusal.fieldErrors[field]) fieldErrors[field] = refusal.fieldErrors[field];
  if (refusal.kind === "invalid" && Object.keys(fieldErrors).length > 0) return { tone: "error", fieldErrors, values, at: Date.now() };
  return failure(refusal.message, values ? { values } : {});
}
