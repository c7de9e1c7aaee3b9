// The state a members-page form keeps between submissions (useActionState). Not a server action module.

/** Outcome of a form on the members or settings page: a message for the form, errors next to fields, what was typed. */
export type FormState = {
  tone?: "error" | "success" | "info";
  message?: string;
  fieldErrors?: Partial<Record<"email" | "role" | "name" | "userId" | "confirm", string>>;
  values?: Partial<Record<"email" | "role" | "name" | "confirm", string>>;
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
