import { isIP } from "node:net";
import { z } from "zod";
import { originPolicy, refuseOriginHost, type OriginOptions } from "@/lib/origin";
import type { Stack } from "@/lib/stacks/catalog";
import { decodeUtf8Text, misdecodedTextProblem } from "./encoding";
import { findDuplicateKeys, locateJsonSyntaxError } from "./json-error";

// The one validator of `section.config.json` (docs/product.md §5), shared by the editor, the API, the pre-receive hook and
// application creation. Origin addresses are judged by the wizard's own rule (lib/origin). Objects are strict: an unknown key is an error naming its path, because a misspelt key
// (`host-header`) would otherwise be ignored silently by the platform.

/** Environment (= branch) names: `^[A-Za-z][A-Za-z0-9]*$` (docs/product.md §3.4). */
export const ENVIRONMENT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9]*$/;

const HOST_LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
const HOSTNAME = new RegExp(`^(?=.{1,253}\\.?$)${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?$`);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const objectError = (what: string) => ({
  error: (issue: { code: string }) => (issue.code === "invalid_type" ? `must be ${what}` : undefined),
});

const isHostname = (value: string) => HOSTNAME.test(value) && isIP(value) === 0;

// node:net's isIP accepts an IPv6 zone ("fe80::1%eth0"): it names an interface of one machine, means nothing on an
// edge node, and HAProxy refuses it (haproxy -c on the node), so the console refuses it first.
const isPlainIp = (value: string) => (value.includes("%") ? 0 : isIP(value));

/** True for an IPv4/IPv6 address or a CIDR block (`203.0.113.0/24`, `2001:db8::/32`), in strict notation. */
export function isIpOrCidr(value: string): boolean {
  const slash = value.indexOf("/");
  const address = slash === -1 ? value : value.slice(0, slash);
  const family = isPlainIp(address);
  if (family === 0) return false;
  if (slash === -1) return true;
  const prefix = value.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

const nonEmpty = (what: string) => z.string({ error: `must be a string (${what})` }).min(1, { error: `must not be empty (${what})` });

/** An origin: where the last proxy (or the edge, for an empty chain) sends requests. */
export const originSchema = z.strictObject(
  {
    address: nonEmpty("an IP address or hostname").refine((v) => isPlainIp(v) !== 0 || isHostname(v), {
      error: "must be an IP address or a hostname, without scheme, port or path (e.g. 203.0.113.7 or origin.example.com)",
    }),
    protocol: z.enum(["http", "https"], { error: 'must be "http" or "https"' }).optional(),
    port: z
      .number({ error: "must be a number from 1 to 65535" })
      .int({ error: "must be a whole number from 1 to 65535" })
      .min(1, { error: "must be a number from 1 to 65535" })
      .max(65535, { error: "must be a number from 1 to 65535" })
      .optional(),
    host_header: nonEmpty("a hostname, optionally with :port")
      .refine(
        (v) => {
          const m = /^(.*?)(?::([0-9]{1,5}))?$/.exec(v);
          return !!m && isHostname(m[1]) && (m[2] === undefined || (Number(m[2]) >= 1 && Number(m[2]) <= 65535));
        },
        { error: "must be a hostname, optionally with :port (e.g. www.example.com)" },
      )
      .optional(),
    tls_name: nonEmpty("a hostname")
      .refine(isHostname, { error: "must be a hostname (the name expected on the origin's TLS certificate)" })
      .optional(),
    enable_sni: z.boolean({ error: "must be true or false" }).optional(),
    verify_certificate: z.boolean({ error: "must be true or false" }).optional(),
    disable_keepalive: z.boolean({ error: "must be true or false" }).optional(),
    remove_request_headers: z
      .array(z.string({ error: "must be a header name" }).regex(HEADER_NAME, { error: "must be an HTTP header name" }), {
        error: "must be a list of header names",
      })
      .optional(),
  },
  objectError('an object with at least an address, e.g. {"address": "203.0.113.7"}'),
);

/** One environment's block: `environments.<Name>` in `section.config.json`. */
export const environmentBlockSchema = z.strictObject(
  {
    origin: originSchema,
    alternate_origins: z
      .record(
        z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, {
          error: "alternate origin names use letters, digits, '-' and '_' (at most 63)",
        }),
        originSchema,
        { error: "must be an object of name → origin" },
      )
      .optional(),
    ip_blacklist: z
      .array(
        z.string({ error: "must be an IP address or CIDR block" }).refine(isIpOrCidr, {
          error: "must be an IP address or CIDR block (e.g. 198.51.100.7 or 198.51.100.0/24)",
        }),
        { error: "must be a list of IP addresses or CIDR blocks" },
      )
      .optional(),
  },
  objectError("an object with an origin"),
);

/** One module of the proxy chain. */
export const proxyModuleSchema = z.strictObject(
  {
    name: z
      .string({ error: "must be a module name" })
      .regex(/^[a-z][a-z0-9_-]{0,62}$/, { error: "must be a module name: lower-case letters, digits, '-' and '_'" }),
    image: z.string({ error: "must be an image such as varnish:7.4" }).regex(/^[a-z0-9][a-z0-9._/-]{0,127}(:[A-Za-z0-9._-]{1,128})?$/, {
      error: "must be an image such as varnish:7.4",
    }),
  },
  objectError('an object such as {"name": "varnish", "image": "varnish:7.4"}'),
);

/** The whole `section.config.json` (docs/product.md §5). */
export const sectionConfigSchema = z
  .strictObject(
    {
      proxychain: z.array(proxyModuleSchema, { error: "must be a list of {name, image} modules" }),
      environments: z
        .record(
          z.string().regex(ENVIRONMENT_NAME_PATTERN, {
            error: "environment names start with a letter and contain only letters and digits",
          }),
          environmentBlockSchema,
          { error: "must be an object of environment name → settings" },
        )
        .refine((envs) => Object.keys(envs).length > 0, { error: "must contain at least one environment" }),
    },
    objectError("a JSON object with proxychain and environments"),
  )
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.proxychain.forEach((proxy, index) => {
      if (seen.has(proxy.name)) {
        ctx.addIssue({ code: "custom", path: ["proxychain", index, "name"], message: `"${proxy.name}" appears twice in the proxy chain` });
      }
      seen.set(proxy.name, index);
    });
    const lower = new Map<string, string>();
    for (const name of Object.keys(config.environments)) {
      const other = lower.get(name.toLowerCase());
      if (other) {
        ctx.addIssue({ code: "custom", path: ["environments", name], message: `differs from "${other}" only in case` });
      }
      lower.set(name.toLowerCase(), name);
    }
  });

export type SectionConfig = z.infer<typeof sectionConfigSchema>;
export type Origin = z.infer<typeof originSchema>;
export type EnvironmentBlock = z.infer<typeof environmentBlockSchema>;

/** One problem found in a `section.config.json`: a key path such as `environments.Production.origin.port`. */
export type SectionConfigIssue = { path: string; message: string; line?: number; column?: number };

export type ParseSectionConfigResult = { ok: true; config: SectionConfig } | { ok: false; issues: SectionConfigIssue[] };

/** Formats a zod path as `proxychain[0].image`, `environments.Production.origin`, `environments["my env"]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(key))) out += (out ? "." : "") + String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function toIssues(error: z.ZodError): SectionConfigIssue[] {
  const issues: SectionConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const where = formatKeyPath(issue.path);
      for (const key of issue.keys) {
        issues.push({
          path: formatKeyPath([...issue.path, key]),
          message: `unknown key "${key}"${where ? ` in ${where}` : " at the top level"}`,
        });
      }
    } else if (issue.code === "invalid_key") {
      issues.push({ path: formatKeyPath(issue.path), message: issue.issues[0]?.message ?? issue.message });
    } else if (issue.code === "invalid_type" && issue.input === undefined) {
      issues.push({ path: formatKeyPath(issue.path), message: "is required" });
    } else {
      issues.push({ path: formatKeyPath(issue.path), message: issue.message });
    }
  }
  // One message per key (the first check that failed), as a form shows one error next to a field.
  const seen = new Set<string>();
  return issues.filter((issue) => !seen.has(issue.path) && !!seen.add(issue.path));
}

/** Options of {@link validateSectionConfig} and {@link parseSectionConfig}. */
export type SectionConfigOptions = {
  /** Also require the block of this environment (the branch's own, docs/product.md §5). */
  environment?: string;
  /** Overrides of the origin settings (`ALLOW_PRIVATE_ORIGINS`, `EDGE_IPV4`/`EDGE_IPV6`, `EDGE_CNAME_SUFFIX`); default `settings()`. */
  origins?: OriginOptions;
};

/**
 * Validates an already-parsed value against {@link sectionConfigSchema}, then judges every origin address
 * (`environments.<Env>.origin.address`, `environments.<Env>.alternate_origins.<name>.address`) with the wizard's own
 * rule, lib/origin `refuseOriginHost` (docs/product.md §3.3 step 2: no loopback, private, link-local… address unless
 * `ALLOW_PRIVATE_ORIGINS=true`, never the edge's own addresses or names under `EDGE_CNAME_SUFFIX`; no DNS lookup).
 * With `environment`, also requires the block of that branch's environment (docs/product.md §5: a branch's file holds at least
 * its own environment's block). Never throws (a malformed setting aside: see lib/config `settings`).
 */
export function validateSectionConfig(value: unknown, options: SectionConfigOptions = {}): ParseSectionConfigResult {
  const result = sectionConfigSchema.safeParse(value, { reportInput: true });
  if (!result.success) return { ok: false, issues: toIssues(result.error) };
  const refused = refusedOrigins(result.data, originPolicy(options.origins));
  if (refused.length > 0) return { ok: false, issues: refused };
  const env = options.environment;
  if (env !== undefined && !Object.hasOwn(result.data.environments, env)) {
    return {
      ok: false,
      issues: [
        { path: formatKeyPath(["environments", env]), message: `is missing: this branch needs the block of its environment "${env}"` },
      ],
    };
  }
  return { ok: true, config: result.data };
}

// One issue per origin address the edge must not use, at its key path.
function refusedOrigins(config: SectionConfig, policy: ReturnType<typeof originPolicy>): SectionConfigIssue[] {
  const issues: SectionConfigIssue[] = [];
  const judge = (path: PropertyKey[], address: string) => {
    const refusal = refuseOriginHost(address, policy);
    if (refusal) issues.push({ path: formatKeyPath(path), message: refusal });
  };
  for (const [env, block] of Object.entries(config.environments)) {
    judge(["environments", env, "origin", "address"], block.origin.address);
    for (const [name, origin] of Object.entries(block.alternate_origins ?? {})) {
      judge(["environments", env, "alternate_origins", name, "address"], origin.address);
    }
  }
  return issues;
}

/**
 * Parses the BYTES of a `section.config.json` as stored in git (the entry point for the pre-receive hook, commits
 * and promotion): the file must be UTF-8 — a UTF-8 BOM is tolerated; UTF-16 (with or without a BOM), UTF-32 or
 * other non-UTF-8 bytes give one issue "section.config.json must be UTF-8 (…)" (lib/section-config/encoding) —
 * then as {@link parseSectionConfig}. Never throws.
 */
export function parseSectionConfigBytes(bytes: Uint8Array, options: SectionConfigOptions = {}): ParseSectionConfigResult {
  const decoded = decodeUtf8Text(bytes);
  if (!decoded.ok) return { ok: false, issues: [{ path: "", ...decoded.problem }] };
  return parseSectionConfig(decoded.text, options);
}

/**
 * Parses the text of a `section.config.json` (a UTF-8 BOM is tolerated) and validates it with
 * {@link validateSectionConfig} (docs/product.md §5; origins judged as in the wizard). Returns `{ ok: true, config }` or
 * `{ ok: false, issues }` where each issue has a key path (`""` for the whole file) and a message; invalid JSON
 * gives one issue with `line`/`column` (1-based); a key that appears twice in one object is refused at its key
 * path (JSON.parse would keep the last one silently); text decoded from non-UTF-8 bytes (U+FFFD or NUL in it) is
 * refused as not UTF-8 — prefer {@link parseSectionConfigBytes} when you have the bytes. Never throws.
 */
export function parseSectionConfig(text: string, options: SectionConfigOptions = {}): ParseSectionConfigResult {
  const parsed = parseSectionConfigJson(text);
  if (!parsed.ok) return parsed;
  return validateSectionConfig(parsed.value, options);
}

/**
 * The JSON value of a `section.config.json` text, strictly: BOM tolerated, not-UTF-8 text refused, syntax errors
 * located (line/column), duplicate keys refused at their key paths ("appears twice"). No schema check: see
 * {@link parseSectionConfig}. Used where the raw JSON is needed, e.g. the three-way merge (./merge3). Never throws.
 */
export function parseSectionConfigJson(text: string): { ok: true; value: unknown } | { ok: false; issues: SectionConfigIssue[] } {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const encoding = misdecodedTextProblem(source);
  if (encoding) return { ok: false, issues: [{ path: "", ...encoding }] };
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    const located = locateJsonSyntaxError(source);
    if (!located) return { ok: false, issues: [{ path: "", message: `Invalid JSON: ${(err as Error).message}` }] };
    return {
      ok: false,
      issues: [
        {
          path: "",
          message: `Invalid JSON at line ${located.line}, column ${located.column}: ${located.message}`,
          line: located.line,
          column: located.column,
        },
      ],
    };
  }
  const duplicates = findDuplicateKeys(source);
  if (duplicates.length > 0) {
    return {
      ok: false,
      issues: duplicates.map((d) => ({
        path: formatKeyPath(d.path),
        message: `appears twice (again at line ${d.line}, column ${d.column}); JSON would silently keep only the last one, so delete one of them`,
        line: d.line,
        column: d.column,
      })),
    };
  }
  return { ok: true, value };
}

/**
 * One line per issue, `section.config.json <path>: message`, as printed by `git push` rejections and API problem
 * details (a whole-file message that already names the file, e.g. "section.config.json must be UTF-8 …", is kept as is).
 */
export function formatSectionConfigIssues(issues: readonly SectionConfigIssue[]): string[] {
  return issues.map((issue) =>
    !issue.path && issue.message.startsWith("section.config.json ")
      ? issue.message
      : `section.config.json${issue.path ? ` ${issue.path}` : ""}: ${issue.message}`,
  );
}

/** The file text for `config`: 2-space JSON with a trailing newline (the form every commit uses). */
export function serializeSectionConfig(config: SectionConfig): string {
  return JSON.stringify(config, null, 2) + "\n";
}

/**
 * The first `section.config.json` of an application (docs/product.md §3.3, §5): the stack's proxy chain and a `Production`
 * block holding `origin` (keys left undefined or empty are omitted). Pure; validate the result with
 * {@link validateSectionConfig} before committing it.
 */
export function buildInitialConfig(stack: Pick<Stack, "proxychain">, origin: Origin): SectionConfig {
  const cleaned = Object.fromEntries(Object.entries(origin).filter(([, v]) => v !== undefined && v !== null && v !== "")) as Origin;
  return {
    proxychain: stack.proxychain.map((m) => ({ name: m.name, image: m.image })),
    environments: { Production: { origin: cleaned } },
  };
}
