import type { DomainStatus } from "@/db/schema";

/** Order of urgency among non-live statuses: the first one present describes a partly broken environment. */
const URGENCY: DomainStatus[] = ["misconfigured", "nxdomain", "error", "pending"];

export type EnvironmentStatus = { status: DomainStatus | "none"; label: string; live: number; total: number };

/**
 * The go-live status of an environment from its domains' statuses (docs/product.md §3.4): Live when all are live,
 * "Partly live (n/m)" when some are, else the most urgent status present; "No domains" when it has none.
 */
export function summariseEnvironment(statuses: DomainStatus[]): EnvironmentStatus {
  const total = statuses.length;
  const live = statuses.filter((s) => s === "live").length;
  if (total === 0) return { status: "none", label: "No domains", live, total };
  if (live === total) return { status: "live", label: "Live", live, total };
  if (live > 0) return { status: "misconfigured", label: `Partly live (${live}/${total})`, live, total };
  const worst = URGENCY.find((s) => statuses.includes(s)) ?? "pending";
  const labels: Record<DomainStatus, string> = {
    pending: "Pending",
    live: "Live",
    misconfigured: "Misconfigured",
    nxdomain: "Not found",
    error: "DNS error",
  };
  return { status: worst, label: labels[worst], live, total };
}
