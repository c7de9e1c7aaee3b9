import { z } from "zod";

// Purges on a node (docs/edge.md "Purge"; docs/product.md §10): the desired state lists the purges this node has not
// reported yet; each is one ban on object headers (`obj.*` only, so varnishd's ban lurker retires it), which the agent
// hands to the shared varnishd and then reports by id with the time it took effect.

/** One purge in the desired state (docs/edge.md "Purge"). */
export const purgeSchema = z.object({
  id: z.number().int().positive(),
  environmentId: z.number().int().positive(),
  key: z.string().regex(/^e[0-9]{1,12}$/),
  ban: z.string().min(1).max(8000),
  createdAt: z.string().optional(),
});
export type DesiredPurge = z.infer<typeof purgeSchema>;

/** What the node reports for one purge: when it took effect, or varnishd's refusal. */
export type PurgeReport = { id: number; appliedAt?: string; error?: string };

/**
 * Why the agent will not hand `purge` to varnishd, or null: the ban must start with the purge's own environment term
 * (`obj.http.x-edge-env == "<key>"`), so a ban never reaches another environment's objects, test object fields only
 * (`obj.*`, the lurker's kind), and hold no line break (the admin CLI is line-based).
 */
export function purgeProblem(purge: DesiredPurge): string | null {
  if (/[\r\n\0]/.test(purge.ban)) return "the ban holds a line break";
  if (purge.key !== `e${purge.environmentId}`) return `key ${purge.key} does not match environment ${purge.environmentId}`;
  const head = `obj.http.x-edge-env == "${purge.key}"`;
  if (purge.ban !== head && !purge.ban.startsWith(`${head} && `)) return "the ban is not limited to its environment";
  // Fields are the words before an operator; strings are skipped.
  const withoutStrings = purge.ban.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const term of withoutStrings.split(" && ")) {
    const field = term.trim().split(" ")[0];
    if (!/^obj\.(status|http\.[A-Za-z0-9!#$%&'*+.^_`|~-]+)$/.test(field)) return `the ban tests ${field}, not an object field`;
  }
  return null;
}

/**
 * Applies purges once each (an id seen before is reported again with its first result: the console may send a purge
 * again before the node's report of it arrived). `ban` hands one expression to varnishd (rejects with its message);
 * `haveVarnish` false means the node has no varnishd, so nothing is cached and a purge holds trivially.
 */
export class PurgeApplier {
  private readonly done = new Map<number, PurgeReport>();

  constructor(
    private readonly ban: (expression: string) => Promise<void>,
    private readonly haveVarnish: () => boolean,
    private readonly log: (line: string) => void,
  ) {}

  /** Applies `purges` in order; resolves to one report per purge. Never throws. */
  async apply(purges: readonly DesiredPurge[]): Promise<PurgeReport[]> {
    const out: PurgeReport[] = [];
    for (const purge of purges) {
      const known = this.done.get(purge.id);
      if (known) {
        out.push(known);
        continue;
      }
      let report: PurgeReport;
      const problem = purgeProblem(purge);
      if (problem) report = { id: purge.id, error: `refused by the agent: ${problem}` };
      else if (!this.haveVarnish()) report = { id: purge.id, appliedAt: new Date().toISOString() };
      else {
        try {
          await this.ban(purge.ban);
          report = { id: purge.id, appliedAt: new Date().toISOString() };
        } catch (error) {
          report = { id: purge.id, error: `varnishd: ${(error as Error).message.split("\n").slice(0, 3).join(" ")}` };
        }
      }
      this.log(`purge ${purge.id} of ${purge.key}: ${report.error ?? "applied"}`);
      this.done.set(purge.id, report);
      out.push(report);
    }
    // Remember the last 5,000 ids (the console hands a purge out for an hour, a few per minute per environment).
    for (const id of this.done.keys()) {
      if (this.done.size <= 5000) break;
      this.done.delete(id);
    }
    return out;
  }
}
