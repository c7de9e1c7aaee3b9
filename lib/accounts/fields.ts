import { z } from "zod";

/** An account (organization) name as typed: trimmed, 1–80 characters. */
export const accountNameField = z
  .string()
  .trim()
  .min(1, "Enter a name for the account, e.g. your company's.")
  .max(80, "Use at most 80 characters.")
  // Control and bidirectional-override characters could disguise one account as another in lists.
  .refine(
    (name) => !/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(name),
    "Use letters, digits, spaces and punctuation only.",
  );
