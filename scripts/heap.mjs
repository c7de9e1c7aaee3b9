// The console server's V8 heap cap (docs/architecture.md, "Requests"). Node's default old-space limit follows the
// machine's memory (about 4 GiB here), so V8 lets garbage pile up long before it collects: under ten concurrent page
// loads the server's RSS reached 290–360 MB while its live data stays far below. A cap makes V8 collect earlier, at
// about the same throughput. V8 sizes the young generation from the heap limit, so a small cap alone also shrinks
// the semi-spaces and cost 10–30% of req/s in extra scavenges (measured with `npm run bench -- pages`); the semi-space
// is therefore kept at 16 MiB, V8's default on 64-bit machines. Figures: README, "Benchmarks".
//
// CONSOLE_MAX_HEAP_MB sets the cap in MiB (default 192; 0 turns it off). A --max-old-space-size already given on the
// command line or in NODE_OPTIONS wins over it (and then no semi-space size is added either).

/** Default old-space cap of the console server, in MiB. */
export const DEFAULT_CONSOLE_MAX_HEAP_MB = 192;
/** Smallest accepted cap, in MiB: below this Next's own code and caches do not fit. */
export const MIN_CONSOLE_MAX_HEAP_MB = 96;

/** Young-generation semi-space size given with the cap, in MiB. */
export const CONSOLE_SEMI_SPACE_MB = 16;

const FLAG = /(^|\s)--max[-_]old[-_]space[-_]size(=|\s|$)/;
const SEMI_FLAG = /(^|\s)--max[-_]semi[-_]space[-_]size(=|\s|$)/;

/**
 * The node flags that cap the console server's heap: `["--max-old-space-size=<MiB>", "--max-semi-space-size=16"]`
 * (the second unless `execArgv` or NODE_OPTIONS already sizes the semi-space), or `[]` when the cap is off
 * (CONSOLE_MAX_HEAP_MB=0) or already set by `execArgv` (the flags of the running node) or `env.NODE_OPTIONS`.
 * Throws an Error with a sentence naming the setting when CONSOLE_MAX_HEAP_MB is not a whole number of MiB ≥ 96 (or 0).
 *
 * @param {{ CONSOLE_MAX_HEAP_MB?: string, NODE_OPTIONS?: string }} env the environment the server runs with (only these two are read)
 * @param {string[]} execArgv node's own flags (process.execArgv of the process that will run the server)
 * @returns {string[]}
 */
export function consoleHeapFlags(env = process.env, execArgv = []) {
  if (execArgv.some((a) => FLAG.test(a)) || FLAG.test(env.NODE_OPTIONS ?? "")) return [];
  const raw = (env.CONSOLE_MAX_HEAP_MB ?? "").trim();
  const mib = raw === "" ? DEFAULT_CONSOLE_MAX_HEAP_MB : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (mib === 0) return [];
  if (!Number.isSafeInteger(mib) || mib < MIN_CONSOLE_MAX_HEAP_MB)
    throw new Error(
      `CONSOLE_MAX_HEAP_MB must be a whole number of MiB, at least ${MIN_CONSOLE_MAX_HEAP_MB} (or 0 for no cap); got "${raw}".`,
    );
  const semiSet = execArgv.some((a) => SEMI_FLAG.test(a)) || SEMI_FLAG.test(env.NODE_OPTIONS ?? "");
  return [`--max-old-space-size=${mib}`, ...(semiSet ? [] : [`--max-semi-space-size=${CONSOLE_SEMI_SPACE_MB}`])];
}
