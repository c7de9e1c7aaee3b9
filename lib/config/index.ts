import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { z } from "zod";
import { dataDirectory } from "@/db/location";

/**
 * The console's settings (docs/product.md §6), read from environment variables once, each with its embedded default.
 * Throws a ZodError naming the variable when a value is malformed (e.g. `EDGE_IPV4=not-an-ip`).
 */
export type Settings = {
  /** Folder for the SQLite file, the repositories and the generated secret. Absolute. */
  dataDir: string;
  /** Public base URL of the console, without a trailing slash; every link in mail is built from it. */
  appUrl: string;
  smtpUrl: string | null;
  mailFrom: string;
  /** Resolvers for go-live checks as `host` or `host:port`; empty = the system's resolvers. */
  dnsServers: string[];
  /** Suffix of every CNAME target, lower-case, without leading or trailing dot. */
  edgeCnameSuffix: string;
  edgeIpv4: string[];
  edgeIpv6: string[];
  operatorEmails: string[];
  inviteTtlHours: number;
  allowPrivateOrigins: boolean;
  /** `EDGE_ALLOW_CODE_MODULES` (false): allow the modules that run customer code (`nodejs`, `openresty`), docs/product.md §8. */
  allowCodeModules: boolean;
  /** Per-query DNS timeout in milliseconds and the number of tries (node's c-ares resolver options). */
  dnsTimeoutMs: number;
  dnsTries: number;
  /** Seconds between background sweeps of due domains (`CHECK_INTERVAL_SECONDS`, default 30; lib/dns/scheduler). */
  checkIntervalSeconds: number;
  /** Attempts allowed per client IP and per email address in each kind's window (`RATE_LIMIT_<KIND>_…`). */
  rateLimits: Record<RateLimitKind, RateLimitSetting>;
  /** REST API requests allowed per token in each window (`RATE_LIMIT_API_PER_TOKEN`, `RATE_LIMIT_API_WINDOW_SECONDS`). */
  apiRateLimit: { perToken: number; windowSeconds: number };
};

/** The flows that are rate-limited (lib/rate-limit). */
export const RATE_LIMIT_KINDS = ["login", "signup", "reset", "invite", "verify-resend", "reauth", "two-factor"] as const;
export type RateLimitKind = (typeof RATE_LIMIT_KINDS)[number];

/** Attempts allowed per IP and per email within a fixed window of `windowSeconds`. */
export type RateLimitSetting = { perIp: number; perEmail: number; windowSeconds: number };

/** Embedded defaults of the rate limits (docs/product.md §6); each can be raised or lowered, never switched off. */
export const RATE_LIMIT_DEFAULTS: Record<RateLimitKind, RateLimitSetting> = {
  login: { perIp: 30, perEmail: 10, windowSeconds: 15 * 60 },
  signup: { perIp: 10, perEmail: 10, windowSeconds: 60 * 60 },
  reset: { perIp: 5, perEmail: 5, windowSeconds: 60 * 60 },
  invite: { perIp: 50, perEmail: 50, windowSeconds: 60 * 60 },
  "verify-resend": { perIp: 10, perEmail: 5, windowSeconds: 60 * 60 },
  /** Current-password checks in /settings (password change, email change); only wrong passwords count. */
  reauth: { perIp: 30, perEmail: 10, windowSeconds: 15 * 60 },
  /** Wrong two-factor codes (sign-in, confirm, disable, new recovery codes), per IP and per user's email; only failures count. */
  "two-factor": { perIp: 20, perEmail: 5, windowSeconds: 15 * 60 },
};

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** A whole number ≥ 1 from `env[name]`, or `fallback` when unset; throws an Error naming the variable otherwise. */
function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number of at least 1 (got ${JSON.stringify(raw)}).`);
  return value;
}

function readRateLimits(env: NodeJS.ProcessEnv): Record<RateLimitKind, RateLimitSetting> {
  const out = {} as Record<RateLimitKind, RateLimitSetting>;
  for (const kind of RATE_LIMIT_KINDS) {
    const prefix = `RATE_LIMIT_${kind.toUpperCase().replace(/-/g, "_")}`;
    const d = RATE_LIMIT_DEFAULTS[kind];
    out[kind] = {
      perIp: positiveInt(env, `${prefix}_PER_IP`, d.perIp),
      perEmail: positiveInt(env, `${prefix}_PER_EMAIL`, d.perEmail),
      windowSeconds: positiveInt(env, `${prefix}_WINDOW_SECONDS`, d.windowSeconds),
    };
  }
  return out;
}

const ipv4 = z.string().regex(/^(\d{1,3})(\.\d{1,3}){3}$/, "must be IPv4 addresses");
const ipv6 = z.string().includes(":", { message: "must be IPv6 addresses" });

function read(env: NodeJS.ProcessEnv): Settings {
  const appUrl = new URL(env.APP_URL || "http://localhost:3000");
  return {
    dataDir: dataDirectory(env),
    appUrl: appUrl.origin + appUrl.pathname.replace(/\/+$/, ""),
    smtpUrl: env.SMTP_URL || null,
    mailFrom: env.MAIL_FROM || "Edge Console <no-reply@localhost>",
    dnsServers: list(env.DNS_SERVERS),
    edgeCnameSuffix: (env.EDGE_CNAME_SUFFIX || "edge.localhost")
      .trim()
      .toLowerCase()
      .replace(/^\.+|\.+$/g, ""),
    edgeIpv4: z.array(ipv4, { message: "EDGE_IPV4" }).parse(list(env.EDGE_IPV4 ?? "192.0.2.10")),
    edgeIpv6: z.array(ipv6, { message: "EDGE_IPV6" }).parse(list(env.EDGE_IPV6).map((a) => a.toLowerCase())),
    operatorEmails: list(env.OPERATOR_EMAILS).map((e) => e.toLowerCase()),
    inviteTtlHours: z.coerce
      .number()
      .positive()
      .parse(env.INVITE_TTL_HOURS || 48),
    allowPrivateOrigins: (env.ALLOW_PRIVATE_ORIGINS || "false").toLowerCase() === "true",
    allowCodeModules: (env.EDGE_ALLOW_CODE_MODULES || "false").toLowerCase() === "true",
    dnsTimeoutMs: z.coerce
      .number()
      .int()
      .positive()
      .parse(env.DNS_TIMEOUT_MS || 2000),
    dnsTries: z.coerce
      .number()
      .int()
      .positive()
      .parse(env.DNS_TRIES || 2),
    checkIntervalSeconds: positiveInt(env, "CHECK_INTERVAL_SECONDS", 30),
    rateLimits: readRateLimits(env),
    apiRateLimit: {
      perToken: positiveInt(env, "RATE_LIMIT_API_PER_TOKEN", 600),
      windowSeconds: positiveInt(env, "RATE_LIMIT_API_WINDOW_SECONDS", 60),
    },
  };
}

let cached: Settings | null = null;

/** The settings of this process (read from `process.env` on first use). */
export function settings(): Settings {
  if (!cached) cached = read(process.env);
  return cached;
}

/** Forgets the cached settings so the next `settings()` re-reads `process.env` (tests change variables). */
export function resetSettings(): void {
  cached = null;
}

/** Folder holding the bare repositories of live applications. */
export function repositoriesDir(): string {
  return path.join(settings().dataDir, "repositories");
}

/** Folder holding repositories of deleted applications (kept, not served). */
export function archiveDir(): string {
  return path.join(settings().dataDir, "archive");
}

/**
 * The Auth.js secret: `AUTH_SECRET` when set, else a random 32-byte secret generated once into
 * `DATA_DIR/auth-secret` (mode 0600) so sessions survive restarts. With `DATABASE_URL` set (several instances and
 * workers share the database, docs/product.md §11) a generated file would differ between machines: throws then,
 * naming the setting.
 */
export function authSecret(): string {
  if (process.env.AUTH_SECRET) return process.env.AUTH_SECRET;
  if (process.env.DATABASE_URL) {
    throw new Error(
      'AUTH_SECRET must be set when DATABASE_URL is set: every console instance and worker signs sessions and encrypts keys with it (README, "Many instances").',
    );
  }
  const dir = settings().dataDir;
  const file = path.join(dir, "auth-secret");
  fs.mkdirSync(dir, { recursive: true });
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    const secret = crypto.randomBytes(32).toString("base64url");
    try {
      fs.writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
      return secret;
    } catch {
      // Another process wrote it first: use theirs.
      return fs.readFileSync(file, "utf8").trim();
    }
  }
}
