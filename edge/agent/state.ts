import { z } from "zod";
import { purgeSchema } from "./purge";

// The desired state the console serves at GET /api/edge/v1/state: docs/edge.md "Desired state". The agent checks
// its shape before using any of it; a state that does not fit is refused whole (the last good one keeps serving).

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/);
const hostnameRe = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const hostname = z.string().regex(hostnameRe, "a lower-case hostname (A-labels)");

/** One origin, as in `environments.<Name>.origin` of section.config.json (docs/product.md §8). */
export const originSchema = z.object({
  address: z.string().min(1).max(253),
  protocol: z.enum(["http", "https"]).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  host_header: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/)
    .optional(),
  tls_name: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/)
    .optional(),
  enable_sni: z.boolean().optional(),
  verify_certificate: z.boolean().optional(),
  disable_keepalive: z.boolean().optional(),
  remove_request_headers: z.array(headerName).optional(),
});
export type Origin = z.infer<typeof originSchema>;

/** One environment of the desired state. */
export const environmentSchema = z.object({
  key: z.string().regex(/^e[0-9]{1,12}$/, 'an environment key like "e17"'),
  version: z.number().int().min(0),
  environmentId: z.number().int().min(1),
  accountId: z.number().int().optional(),
  applicationId: z.number().int().optional(),
  application: z.string().optional(),
  name: z.string().optional(),
  commit: z.string().regex(/^[0-9a-f]{40}$/, "a 40-hex commit"),
  hostnames: z.array(hostname),
  secret: z.string().regex(/^[A-Za-z0-9._~+/=-]{1,512}$/, "a header-safe secret"),
  chain: z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,40}$/)),
  origin: originSchema,
  alternateOrigins: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/), originSchema).default({}),
  ipBlacklist: z.array(z.string().min(1).max(64)).default([]),
  files: z.record(z.string(), z.string()).default({}),
  certificates: z.array(z.unknown()).default([]),
  acmeChallenges: z.array(z.unknown()).default([]),
  /** "Redirect HTTP to HTTPS" (docs/https.md "Edge side"): read by ./certificates.ts. */
  redirectHttps: z.boolean().default(false),
});
export type DesiredEnvironment = z.infer<typeof environmentSchema>;

/** The whole answer of GET /api/edge/v1/state. */
export const desiredStateSchema = z.object({
  version: z.number().int().min(0),
  full: z.boolean(),
  node: z.object({ name: z.string(), drain: z.boolean().default(false) }).optional(),
  settings: z.object({
    allowCodeModules: z.boolean().default(false),
    allowPrivateOrigins: z.boolean().default(false),
    edgeAddresses: z.array(z.string()).default([]),
    cnameSuffix: z.string().optional(),
  }),
  environments: z.array(environmentSchema),
  removed: z.array(z.number().int()).default([]),
  /** Purges to apply (docs/edge.md "Purge"; ./purge.ts). */
  purges: z.array(purgeSchema).default([]),
});
export type DesiredState = z.infer<typeof desiredStateSchema>;
export type StateSettings = DesiredState["settings"];

/**
 * Parses a state answer's body text. Returns the state, or a one-line message naming the first bad field
 * (JSON syntax or shape). Also refuses two environments with one key or one hostname in two environments.
 */
export function parseDesiredState(text: string): { ok: true; state: DesiredState } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `desired state is not JSON: ${(error as Error).message}` };
  }
  const parsed = desiredStateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `desired state refused: ${issue.path.join(".") || "(root)"}: ${issue.message}` };
  }
  const keys = new Set<string>();
  for (const env of parsed.data.environments) {
    if (keys.has(env.key)) return { ok: false, message: `desired state refused: environment ${env.key} listed twice` };
    keys.add(env.key);
    if (env.key !== `e${env.environmentId}`) {
      return { ok: false, message: `desired state refused: environment key ${env.key} does not match id ${env.environmentId}` };
    }
  }
  return { ok: true, state: parsed.data };
}

/**
 * Folds a (partial or full) state into the environments the node should serve, keyed by environment key
 * (docs/edge.md "Desired state": `full` replaces everything, `removed` drops ids).
 */
export function mergeDesiredState(current: ReadonlyMap<string, DesiredEnvironment>, state: DesiredState): Map<string, DesiredEnvironment> {
  const next = state.full ? new Map<string, DesiredEnvironment>() : new Map(current);
  for (const id of state.removed) next.delete(`e${id}`);
  for (const env of state.environments) next.set(env.key, env);
  return next;
}
