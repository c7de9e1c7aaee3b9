import { z } from "zod";

/** Trims and lower-cases an email address (docs/product.md §3.1: emails compare case-insensitively). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Zod field for an email typed into a form: normalised, then checked for an address shape (RFC 5321 length). */
export const emailField = z
  .string({ message: "Enter your email address." })
  .transform(normaliseEmail)
  .pipe(z.email({ message: "Enter a valid email address, like name@example.com." }).max(254, "That email address is too long."));

/** Zod field for a new password: 8 to 256 characters (argon2 input bound). */
export const newPasswordField = z
  .string({ message: "Choose a password." })
  .min(8, "Use at least 8 characters.")
  .max(256, "Use at most 256 characters.");
