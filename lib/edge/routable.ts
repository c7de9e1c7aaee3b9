import { and, inArray, isNotNull, or, eq } from "drizzle-orm";
import { getDb } from "@/db";
import { domains } from "@/db/schema";
import { settings } from "@/lib/config";

// Which hostnames the edge routes (docs/edge.md "Versions"): a domain whose ownership is not in question
// (`ownership_required` false, or the TXT proof seen: `ownership_proven_at`), never a name under EDGE_CNAME_SUFFIX.

/** True when `hostname` (A-label, lower-case) is the CNAME suffix itself or a name under it. */
export function isUnderCnameSuffix(hostname: string, suffix: string = settings().edgeCnameSuffix): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  const base = suffix.toLowerCase().replace(/^\.+|\.+$/g, "");
  return base !== "" && (name === base || name.endsWith(`.${base}`));
}

/**
 * The routable hostnames (A-labels, sorted) of each of `environmentIds`; every id gets an entry (an empty list when
 * none). Reads the domains table in chunks of 500 ids.
 */
export async function routableHostnames(environmentIds: readonly number[]): Promise<Map<number, string[]>> {
  const result = new Map<number, string[]>();
  for (const id of environmentIds) result.set(id, []);
  const ids = [...result.keys()];
  const suffix = settings().edgeCnameSuffix;
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await getDb()
      .select({ environmentId: domains.environmentId, hostname: domains.hostname })
      .from(domains)
      .where(
        and(
          inArray(domains.environmentId, ids.slice(i, i + 500)),
          or(eq(domains.ownershipRequired, false), isNotNull(domains.ownershipProvenAt)),
        ),
      );
    for (const row of rows) {
      if (isUnderCnameSuffix(row.hostname, suffix)) continue;
      result.get(row.environmentId)?.push(row.hostname);
    }
  }
  for (const list of result.values()) list.sort();
  return result;
}
