import crypto from "node:crypto";
import { domains } from "@/db/schema";
import type { getDb } from "@/db";

type Writer = Pick<ReturnType<typeof getDb>, "insert">;

/**
 * Inserts a domain for an environment with a fresh ownership token (32 random bytes, base64url, for
 * `TXT _edge-challenge.<hostname>`, SPEC §3.5). Call it inside the transaction that creates its environment or
 * application; the UNIQUE constraint on `domains.hostname` throws when the hostname is used anywhere on the platform.
 */
export function insertDomain(
  writer: Writer,
  params: {
    accountId: number;
    applicationId: number;
    environmentId: number;
    hostname: { hostname: string; unicode: string; isApex: boolean };
    ownershipRequired: boolean;
  },
) {
  return writer
    .insert(domains)
    .values({
      accountId: params.accountId,
      applicationId: params.applicationId,
      environmentId: params.environmentId,
      hostname: params.hostname.hostname,
      hostnameUnicode: params.hostname.unicode,
      isApex: params.hostname.isApex,
      verificationToken: crypto.randomBytes(32).toString("base64url"),
      ownershipRequired: params.ownershipRequired,
    })
    .returning()
    .get();
}
