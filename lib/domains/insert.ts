import { domains } from "@/db/schema";
import type { Db } from "@/db";
import { newVerificationToken } from "@/lib/tokens/verification-token";
import { one } from "@/db";

type Writer = Pick<Db, "insert">;

/**
 * Inserts a domain for an environment with a fresh ownership token (160 random bits, lower-case base32, for
 * `TXT _edge-challenge.<hostname>`, docs/product.md §3.5). Call it inside the transaction that creates its environment or
 * application; the UNIQUE constraint on `domains.hostname` throws when the hostname is used anywhere on the platform.
 */
export async function insertDomain(
  writer: Writer,
  params: {
    accountId: number;
    applicationId: number;
    environmentId: number;
    hostname: { hostname: string; unicode: string; isApex: boolean };
    ownershipRequired: boolean;
  },
) {
  return one(
    writer
      .insert(domains)
      .values({
        accountId: params.accountId,
        applicationId: params.applicationId,
        environmentId: params.environmentId,
        hostname: params.hostname.hostname,
        hostnameUnicode: params.hostname.unicode,
        isApex: params.hostname.isApex,
        verificationToken: newVerificationToken(),
        ownershipRequired: params.ownershipRequired,
      })
      .returning(),
  );
}
