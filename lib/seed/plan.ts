import { STACKS } from "@/lib/stacks/catalog";

// The shape of a seeded data set (lib/seed/seed.ts): accounts named after well-known example companies, a few
// applications each on their own registrable name under the reserved `.example` TLD (RFC 2606, so nothing seeded
// ever exists in real DNS), many domains per application (www, the apex, then shop/api/cdn… subdomains), and a
// Staging environment with a few `staging*` domains on about 40 % of the applications. Pure.

/** One hostname to seed (not yet normalised; all ASCII). */
export type DomainPlan = { name: string };

/** One application: its stack, Production domains (the first names the application) and Staging domains. */
export type AppPlan = {
  accountIndex: number;
  /** The account's database id, known once the accounts are inserted. */
  accountId: () => number;
  stackId: string;
  production: DomainPlan[];
  staging: DomainPlan[];
};

/** One account: display name, applications, and its id once inserted. */
export type AccountPlan = { index: number; name: string; id: number; apps: AppPlan[] };

const COMPANIES = [
  "northwind",
  "contoso",
  "fabrikam",
  "globex",
  "initech",
  "umbrella",
  "hooli",
  "acme",
  "stark",
  "wayne",
  "wonka",
  "tyrell",
  "cyberdyne",
  "soylent",
  "vandelay",
  "oscorp",
  "aperture",
  "monarch",
  "gringotts",
  "dunder",
];
const PRODUCTS = ["shop", "blog", "docs", "status", "api", "media", "careers", "support"];
const LABELS = ["shop", "api", "cdn", "static", "img", "m", "eu", "us", "de", "fr", "jp", "beta", "news", "help", "login", "assets"];

/** Applications of an account with `domains` domains: one per 40 domains, 1 to 8. */
export function applicationsFor(domains: number): number {
  return Math.min(8, Math.max(1, Math.ceil(domains / 40)));
}

/** The `i`-th (0-based) Production hostname of an application on `base`: www, the apex, then shop, api, … shop2, … */
export function productionName(base: string, i: number): string {
  if (i === 0) return `www.${base}`;
  if (i === 1) return base;
  const k = i - 2;
  const round = Math.floor(k / LABELS.length);
  return `${LABELS[k % LABELS.length]}${round ? round + 1 : ""}.${base}`;
}

/**
 * Plans `accounts` accounts sharing `domains` domains as evenly as possible (the first accounts get the remainder);
 * an account without domains has no application. Stacks are picked at random among `stacks` (default: the whole
 * catalog), weighted towards Varnish.
 */
export function planAccounts(p: { accounts: number; domains: number; random: () => number; stacks?: readonly string[] }): AccountPlan[] {
  const stacks = p.stacks ?? STACKS.map((s) => s.id);
  const plans: AccountPlan[] = [];
  for (let a = 0; a < p.accounts; a++) {
    const company = COMPANIES[a % COMPANIES.length];
    const slug = `${company}-${a + 1}`;
    const name = `${company[0].toUpperCase()}${company.slice(1)} ${Math.floor(a / COMPANIES.length) ? `#${a + 1}` : "Inc."}`;
    const account: AccountPlan = { index: a, name, id: 0, apps: [] };
    const total = Math.floor(p.domains / p.accounts) + (a < p.domains % p.accounts ? 1 : 0);
    if (total > 0) {
      const appCount = Math.min(applicationsFor(total), total);
      for (let k = 0; k < appCount; k++) {
        const count = Math.floor(total / appCount) + (k < total % appCount ? 1 : 0);
        const base = k === 0 ? `${slug}.example` : `${PRODUCTS[(k - 1) % PRODUCTS.length]}-${slug}.example`;
        const stagingCount = count >= 3 && p.random() < 0.4 ? Math.max(1, Math.round(count * 0.1)) : 0;
        const r = p.random();
        const stackId = r < 0.4 ? "varnish" : stacks[Math.floor(p.random() * stacks.length)];
        account.apps.push({
          accountIndex: a,
          accountId: () => account.id,
          stackId,
          production: Array.from({ length: count - stagingCount }, (_, i) => ({ name: productionName(base, i) })),
          staging: Array.from({ length: stagingCount }, (_, i) => ({ name: `staging${i ? i + 1 : ""}.${base}` })),
        });
      }
    }
    plans.push(account);
  }
  return plans;
}
