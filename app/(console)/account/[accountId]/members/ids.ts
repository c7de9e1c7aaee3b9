import { z } from "zod";
import { toId } from "@/lib/auth/access";

/** Zod field for a row id sent by a form: plain decimal digits only, as `toId` (lib/auth/access) accepts them. */
export const idField = z.unknown().transform((raw, ctx) => {
  const id = toId(raw);
  if (id === null) {
    ctx.addIssue({ code: "custom", message: "Not an id." });
    return z.NEVER;
  }
  return id;
});
