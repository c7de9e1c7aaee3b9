"use server";

import { signOut } from "@/lib/auth/auth";

/** Ends the session and returns to the login page. */
export async function logoutAction(): Promise<void> {
  await signOut({ redirectTo: "/login" });
}
