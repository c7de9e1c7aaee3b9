"use server";

import { z } from "zod";
import { accountAction, type AccountContext } from "@/lib/actions";
import { domainResource } from "@/lib/actions/resources";
import { listRecentChecks } from "@/lib/domains/queries";
import { domainDetailsOf, type DomainDetailsData } from "./_components/domain-details-data";

export type DomainDetailsState = { details?: DomainDetailsData; error?: string };

type Input = { domainId: string };
type DomainResource = NonNullable<Awaited<ReturnType<ReturnType<typeof domainResource<Input>>>>>["value"];

/**
 * The details of one domain on a long domain list, loaded when the reader opens them (docs/product.md §3.5): the
 * records to create and what the last check found, the same data a short list shows in place. Any member may read
 * them (`account.read`); the account is derived from the domain row, a non-member gets "not found".
 */
export const loadDomainDetailsAction = accountAction({
  name: "load domain details",
  schema: z.object({ domainId: z.string().default("") }),
  resource: domainResource((input: Input) => input.domainId),
  permission: "account.read",
  what: "see this domain",
  fail: (refusal): DomainDetailsState => ({ error: refusal.message }),
  run: async ({ resource: { domain } }: AccountContext<Input, DomainResource>): Promise<DomainDetailsState> => {
    const [lastCheck] = await listRecentChecks({ domainId: domain.id, limit: 1 });
    return { details: await domainDetailsOf(domain, lastCheck) };
  },
});
