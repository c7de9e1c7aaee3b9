import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { certificateLoadRefusal } from "./certificate-load";
import { applyMapChanges, haproxyCommand, parseHostsMap } from "../haproxy/runtime";

// HTTPS on a node (docs/https.md "Edge side", docs/edge.md "Desired state"): the certificates, HTTP-01 answers and
// redirect flags of the desired state become files under the agent's haproxy folder (certs/<hostname>.pem,
// crt-list.txt, acme.map, redirect.map) and reach the running HAProxy through its Runtime API, without a reload:
// `new ssl cert` / `set ssl cert` / `commit ssl cert` / `add ssl crt-list` / `del ssl crt-list` / `del ssl cert`, and
// `add|set|del map` (HAProxy 2.6 management guide, "Unix Socket commands"). Files are written too, so a restart or a
// reload serves the same. A hostname without a certificate gets the default certificate (first line of the crt-list).

const hostnameSchema = z
  .string()
  .regex(/^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}[a-z0-9_])?)*$/);
const pemSchema = z
  .string()
  .max(64 * 1024)
  .regex(/^-----BEGIN [A-Z ]+-----[\s\S]+-----END [A-Z ]+-----\s*$/);
const certificateSchema = z.object({ hostname: hostnameSchema, chain: pemSchema, key: pemSchema });
const challengeSchema = z.object({
  hostname: hostnameSchema,
  token: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/),
  keyAuthorization: z.string().regex(/^[A-Za-z0-9_.-]{1,600}$/),
});

/** The HTTPS part of one environment, checked. */
export type HttpsEnvironment = {
  environmentId: number;
  certificates: { hostname: string; chain: string; key: string }[];
  acmeChallenges: { hostname: string; token: string; keyAuthorization: string }[];
  redirectHttps: boolean;
};

/**
 * Reads the HTTPS fields of a desired environment (`certificates`, `acmeChallenges`, `redirectHttps`), keeping the
 * entries that have the documented shape (others are dropped: a hostname that is not an A-label, a PEM with an
 * unexpected shape, a token outside base64url).
 */
export function httpsOf(env: {
  environmentId: number;
  certificates?: unknown;
  acmeChallenges?: unknown;
  redirectHttps?: unknown;
}): HttpsEnvironment {
  const list = <T>(value: unknown, schema: z.ZodType<T>): T[] =>
    Array.isArray(value)
      ? value.flatMap((v) => {
          const r = schema.safeParse(v);
          return r.success ? [r.data] : [];
        })
      : [];
  return {
    environmentId: env.environmentId,
    certificates: list(env.certificates, certificateSchema),
    acmeChallenges: list(env.acmeChallenges, challengeSchema),
    redirectHttps: env.redirectHttps === true,
  };
}

/** Where the HTTPS files live (absolute paths); the HAProxy configuration names `acmeMap` and `redirectMap`. */
export type HttpsPaths = { certs: string; crtList: string; acmeMap: string; redirectMap: string };

/**
 * What one apply did: runtime commands sent, whether a reload is needed (a map command was refused), and the
 * certificates left out because HAProxy would refuse them or refused them (`hostname: why`; the hostname is served
 * with the default certificate).
 */
export type HttpsApplyResult = { commands: number; reload: boolean; errors: string[]; refused: string[] };

/** The HTTPS state of a node: desired files computed from the environments, applied to HAProxy. */
export class EdgeHttps {
  readonly paths: HttpsPaths;
  private tokens = new Map<number, string[]>();
  /** Certificate files HAProxy refused through the Runtime API (path → the PEM refused): left out until they change. */
  private runtimeRefused = new Map<string, string>();
  /** Why each certificate left out of the last desired set was refused (`hostname: why`). */
  refused: string[] = [];
  /**
   * What this process last wrote to each HTTPS file (path → text), so an apply on a node holding many certificates
   * compares in memory instead of reading every file again; filled from the files on first use.
   */
  private written = new Map<string, string>();

  /** `dir`: the agent's haproxy folder (0700); `defaultPem`: the default certificate's file, first in the crt-list. */
  constructor(
    private readonly dir: string,
    private readonly defaultPem: string,
  ) {
    this.paths = {
      certs: path.join(dir, "certs"),
      crtList: path.join(dir, "crt-list.txt"),
      acmeMap: path.join(dir, "acme.map"),
      redirectMap: path.join(dir, "redirect.map"),
    };
  }

  /** The desired files for `envs`: certificate files by path, crt-list text, and the two maps. */
  private desired(envs: readonly HttpsEnvironment[]) {
    const certs = new Map<string, { hostname: string; pem: string }>();
    const acme = new Map<string, string>();
    const redirect = new Map<string, string>();
    this.tokens = new Map();
    this.refused = [];
    for (const env of envs) {
      for (const c of env.certificates) {
        const pem = `${c.chain.trim()}\n${c.key.trim()}\n`;
        const file = path.join(this.paths.certs, `${c.hostname}.pem`);
        // One certificate HAProxy cannot load would fail the next reload (and a restart) for every environment of the
        // node: it is left out, its hostname gets the default certificate, and the agent reports why.
        const why = this.runtimeRefused.get(file) === pem ? "HAProxy refused it" : certificateLoadRefusal(c.chain, c.key);
        if (why) {
          this.refused.push(`${c.hostname}: ${why}`);
          continue;
        }
        certs.set(file, { hostname: c.hostname, pem });
        if (env.redirectHttps) redirect.set(c.hostname, "1");
      }
      for (const ch of env.acmeChallenges) acme.set(ch.token, ch.keyAuthorization);
      this.tokens.set(
        env.environmentId,
        env.acmeChallenges.map((ch) => ch.token),
      );
    }
    const files = [...certs.keys()].sort();
    const crtList = [this.defaultPem, ...files.map((f) => `${f} ${certs.get(f)!.hostname}`)].join("\n") + "\n";
    return { certs, crtList, acme, redirect };
  }

  /** The tokens of environment `environmentId` this node answers after the last write or apply (for its report). */
  tokensFor(environmentId: number): string[] {
    return this.tokens.get(environmentId) ?? [];
  }

  /** Writes every HTTPS file for `envs` (before HAProxy starts or reloads): certificate files 0600, crt-list, maps. */
  writeFiles(envs: readonly HttpsEnvironment[]): void {
    this.writeCertificateFiles(this.desired(envs));
  }

  private writeCertificateFiles(want: ReturnType<EdgeHttps["desired"]>): void {
    const files = [...want.certs.keys()].sort();
    want.crtList = [this.defaultPem, ...files.map((f) => `${f} ${want.certs.get(f)!.hostname}`)].join("\n") + "\n";
    fs.mkdirSync(this.paths.certs, { recursive: true, mode: 0o700 });
    for (const [file, c] of want.certs) this.write(file, c.pem);
    for (const f of fs.readdirSync(this.paths.certs)) {
      const file = path.join(this.paths.certs, f);
      if (!want.certs.has(file)) {
        fs.rmSync(file, { force: true });
        this.written.delete(file);
      }
    }
    this.write(this.paths.crtList, want.crtList);
    this.write(this.paths.acmeMap, mapText(want.acme));
    this.write(this.paths.redirectMap, mapText(want.redirect));
  }

  /** The text of an HTTPS file as this process last wrote it (read from disk the first time). */
  private text(file: string): string {
    let known = this.written.get(file);
    if (known === undefined) {
      known = readText(file);
      this.written.set(file, known);
    }
    return known;
  }

  /** Writes `text` to `file` (0600, atomically) unless it already holds it. */
  private write(file: string, text: string): void {
    if (this.written.get(file) === text && fs.existsSync(file)) return;
    writeAtomic(file, text);
    this.written.set(file, text);
  }

  /**
   * Makes the running HAProxy (admin socket `socketPath`) serve `envs`: compares with the files on disk (what HAProxy
   * serves), sends the Runtime API commands for the differences, then writes the files. A refused command stops the
   * rest and asks for a reload (`reload: true`), which reads the files written here. Never throws for HAProxy's answers.
   */
  async apply(envs: readonly HttpsEnvironment[], socketPath: string): Promise<HttpsApplyResult> {
    const want = this.desired(envs);
    const result: HttpsApplyResult = { commands: 0, reload: false, errors: [], refused: [] };
    const had = new Map<string, string>();
    for (const line of this.text(this.paths.crtList).split("\n").slice(1)) {
      const file = line.trim().split(/\s+/)[0];
      if (file) had.set(file, this.text(file));
    }
    const send = async (command: string, ok: RegExp) => {
      result.commands++;
      const answer = await haproxyCommand(socketPath, command).catch((e: Error) => `error: ${e.message}`);
      if (!ok.test(answer)) throw new Error(`haproxy refused "${command.split("\n")[0]}": ${answer.trim().split("\n")[0]}`);
    };
    for (const [file, c] of want.certs) {
      const before = had.get(file);
      if (before === c.pem) continue;
      try {
        if (before === undefined) await send(`new ssl cert ${file}`, /New empty certificate store/);
        await send(`set ssl cert ${file} <<\n${c.pem.trim()}\n`, /Transaction (created|updated)/);
        await send(`commit ssl cert ${file}`, /Success!/);
        if (before === undefined) await send(`add ssl crt-list ${this.paths.crtList} <<\n${file} ${c.hostname}\n`, /Success!/);
      } catch (error) {
        // This certificate only: its transaction is dropped, the others go on; it stays out of the files (the
        // previous one, if any, keeps serving until HAProxy next reloads, then the default certificate).
        await haproxyCommand(socketPath, `abort ssl cert ${file}`).catch(() => "");
        this.runtimeRefused.set(file, c.pem);
        want.certs.delete(file);
        this.refused.push(`${c.hostname}: ${(error as Error).message}`);
        if (before !== undefined) want.certs.set(file, { hostname: c.hostname, pem: before });
      }
    }
    try {
      for (const file of had.keys()) {
        if (want.certs.has(file)) continue;
        await send(`del ssl crt-list ${this.paths.crtList} ${file}`, /deleted in crtlist/);
        await send(`del ssl cert ${file}`, /deleted!/);
      }
      result.commands += await applyMapChanges(socketPath, this.paths.acmeMap, parseHostsMap(this.text(this.paths.acmeMap)), want.acme);
      result.commands += await applyMapChanges(
        socketPath,
        this.paths.redirectMap,
        parseHostsMap(this.text(this.paths.redirectMap)),
        want.redirect,
      );
    } catch (error) {
      result.reload = true;
      result.errors.push((error as Error).message);
    }
    this.writeCertificateFiles(want);
    result.refused = this.refused;
    return result;
  }
}

function mapText(m: ReadonlyMap<string, string>): string {
  return [...m].map(([k, v]) => `${k} ${v}\n`).join("");
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function writeAtomic(file: string, text: string): void {
  if (readText(file) === text && fs.existsSync(file)) return;
  fs.writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/**
 * The public frontend's HTTPS line (docs/https.md "Edge side"), placed after the Host is known and before the
 * not-configured answer: `/.well-known/acme-challenge/<token>` answered from `acmeMap` for a Host no environment
 * serves (tokens are random and public). A Host of an environment gets the same answer in its chain backend
 * ({@link httpsChainLines}), where HAProxy's per-environment counters count it (docs/traffic.md "Counters").
 */
export function httpsFrontendLines(paths: Pick<HttpsPaths, "acmeMap">): string[] {
  return [
    "  acl edge_acme_path path_beg /.well-known/acme-challenge/",
    `  http-request set-var(txn.acme) path,field(4,/),map(${paths.acmeMap}) if edge_acme_path`,
    '  http-request return status 200 content-type text/plain lf-string "%[var(txn.acme)]" hdr Cache-Control no-store if edge_acme_path { var(txn.acme) -m found } !{ var(txn.env) -m found }',
  ];
}

/**
 * The HTTPS lines of an environment's chain backend, first in it: the HTTP-01 answer (`txn.acme`, looked up by the
 * frontend) and a 308 to `https://host[:httpsPort unless 443]/path` for plain-HTTP requests to hostnames listed in
 * `redirectMap`, never for the challenge path.
 */
export function httpsChainLines(paths: Pick<HttpsPaths, "redirectMap">, httpsPort: number): string[] {
  const port = httpsPort === 443 ? "" : `:${httpsPort}`;
  return [
    "  acl edge_acme_path path_beg /.well-known/acme-challenge/",
    '  http-request return status 200 content-type text/plain lf-string "%[var(txn.acme)]" hdr Cache-Control no-store if edge_acme_path { var(txn.acme) -m found }',
    `  http-request redirect location https://%[var(txn.host)]${port}%[capture.req.uri] code 308 if !{ ssl_fc } !edge_acme_path { var(txn.host),map(${paths.redirectMap}) -m found }`,
  ];
}

/** The fields of a desired environment that only HTTPS reads (and the version, which every change moves). */
const HTTPS_ONLY_FIELDS = new Set(["certificates", "acmeChallenges", "redirectHttps", "version"]);

/**
 * True when two desired versions of an environment differ at most in their HTTPS part (certificates, challenges,
 * redirect flag) and version: the agent then applies them through the Runtime API alone, without preparing the
 * chain again (no VCL load, no process start, no reload).
 */
export function sameExceptHttps(a: object, b: object): boolean {
  const strip = (e: object) => JSON.stringify(Object.entries(e).filter(([k]) => !HTTPS_ONLY_FIELDS.has(k)));
  return strip(a) === strip(b);
}
