import { z } from "zod";

/** An account (organization) name as typed: trimmed, 1–80 characters. */
export const accountNameField = z
  .string()
  .trim()
  .min(1, "Enter a name for the account, e.g. your company's.")
  .max(80, "Use at most 80 characters.");
