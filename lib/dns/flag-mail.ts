import { and, eq, inArray } from "drizzle-orm";
import { getDb, first } from "@/db";
import { accounts, applications, domains, memberships, users } from "@/db/schema";
import { rolesWith } from "@/lib/auth/permissions";
import { expectedRecords } from "@/lib/domains/records";
import { sendMailQuietly } from "@/lib/mail/deliver";
import { domainFlaggedMail } from "@/lib/mail/templates";
import type { CheckRecords } from "./go-live";

// The go-live alert (docs/product.md §3.5): when a check flags a live domain that stopped pointing at the edge — in a
// background sweep, on "Verify now", through the API or from /ops — the members whose role receives the account's
// alerts (`alerts.receive` in lib/auth/permissions.ts: owners and admins) get one mail saying what was found, what is
// expected and where to fix it.

/**
 * Mails the members with `alerts.receive` in flagged domain `domainId`'s account ("<hostname> stopped pointing at the
 * edge", with `found` — the check's records — and the expected records, and a link to the application built from
 * APP_URL). Returns how many mails were sent; a mail that fails is logged and not counted, never thrown.
 */
export async function mailFlaggedDomain(domainId: number, found: CheckRecords): Promise<number> {
  const db = getDb();
  const row = await first(
    db
      .select({ domain: domains, application: applications, account: accounts })
      .from(domains)
      .innerJoin(applications, eq(applications.id, domains.applicationId))
      .innerJoin(accounts, eq(accounts.id, domains.accountId))
      .where(eq(domains.id, domainId)),
  );
  if (!row) return 0;
  const recipients = await db
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.accountId, row.account.id), inArray(memberships.role, [...rolesWith("alerts.receive")])));
  const expected = expectedRecords(row.domain)
    .records.map((r) => (r.name === row.domain.hostname ? `${r.type} ${r.value}` : `${r.type} ${r.name} ${r.value}`))
    .join(", ");
  let sent = 0;
  for (const { email } of recipients) {
    const mail = domainFlaggedMail({
      to: email,
      hostname: row.domain.hostnameUnicode,
      accountName: row.account.name,
      applicationName: row.application.name,
      applicationPath: `/account/${row.account.id}/application/${row.application.id}`,
      found,
      expected,
    });
    if (await sendMailQuietly(mail)) sent++;
  }
  return sent;
}
