// The seam between the edge agent (edge/agent) and the module drivers (edge/modules): docs/edge.md "Applying, on the
// node". Drivers are pure apart from running the tools' own checkers; the agent owns processes, ports and HAProxy.

/** The modules of docs/product.md §8, in the only order a proxy chain may list them. */
export const MODULE_ORDER = ["modsecurity", "openresty", "varnish", "nodejs"] as const;
export type ModuleName = (typeof MODULE_ORDER)[number];

/** A loopback TCP address the agent assigned (host is always a 127.0.0.0/8 address). */
export type HopAddress = { host: string; port: number };

/** Why a chain cannot be served: the tool that refused (`policy` for the platform's own rules) and its message. */
export type Refusal = { ok: false; tool: "policy" | "varnishd" | "nginx" | "node" | "haproxy"; message: string };

/** What the agent gives the drivers to render one environment's chain. */
export type ChainInput = {
  /** Environment key from the desired state, e.g. `e17`. */
  key: string;
  /** Module names in chain order, as `section.config.json` lists them. */
  chain: readonly string[];
  /** Repository files of the environment (path → UTF-8 text), from the desired state. */
  files: Readonly<Record<string, string>>;
  /** Where each module listens, index-aligned with `chain`. */
  listen: readonly HopAddress[];
  /** Where the last module sends requests: the environment's HAProxy last hop. */
  lastHop: HopAddress;
  /** The shared varnishd's listen address (for a chain with varnish; its listen[i] is this address). */
  varnish?: HopAddress;
  /** The environment's hop token (docs/edge.md "One request"): routes to its VCL label, admitted by its last hop. */
  hopToken: string;
  /** The console's `allowCodeModules` (EDGE_ALLOW_CODE_MODULES). */
  allowCodeModules: boolean;
  /** Absolute folder of this version's rendered files (EDGE_STATE_DIR/envs/<key>/<version>). */
  dir: string;
  /** A unique name for this version's VCL and label, e.g. `e17_v409` (VCL names: [A-Za-z][A-Za-z0-9_]*). */
  vclName: string;
};

/** A process the agent starts for one environment's module (nginx host or Node), as an unprivileged user. */
export type ProcessSpec = {
  module: ModuleName;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** `proxy` for platform-run software (nginx), `tenant` for customer code (Node). */
  user: "proxy" | "tenant";
  /** The loopback address it listens on, for the agent's readiness check. */
  listen: HopAddress;
  /**
   * Added by edge/modules: folders (inside `dir`) the process must be able to write (nginx's pid and temp
   * folders); the agent gives them to the process's user before starting it. Everything else stays read-only.
   */
  writable?: string[];
};

/** One environment's chain rendered into `dir`, ready for the tools' checks and activation. */
export type RenderedChain = {
  ok: true;
  /** Files written relative to `dir` (already on disk when render returns). */
  files: string[];
  /** Processes to start (nginx per module instance, node per environment). */
  processes: ProcessSpec[];
  /** The environment's wrapped VCL for the shared varnishd, when the chain has varnish. */
  varnish?: { vclPath: string; vclName: string };
};
