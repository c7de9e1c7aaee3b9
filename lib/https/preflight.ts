import http from "node:http";
import net from "node:net";
import { canonicalName, dnsErrorCode, followCnameChain, type Resolver } from "@/lib/dns/resolver";

// The pre-flight before every ACME order (docs/product.md §9, docs/https.md "Pre-flight"): what would make the CA's
// validation fail is found here first and named, and nothing is sent to the CA. Three steps: every A/AAAA record
// points at the edge, CAA (found by climbing the name tree, RFC 8659 §3) allows the CA, and a real HTTP request for
// a random token reaches the edge and gets the token back.

/** Which pre-flight step failed (stored as the certificate's `failure_step`). */
export type PreflightStep = "dns" | "caa" | "http";

/** A pre-flight verdict: ok, or the step and one sentence per problem saying what to fix; `transient` for DNS errors. */
export type PreflightResult = { ok: true } | { ok: false; step: PreflightStep; problems: string[]; transient?: boolean };

/**
 * Checks that `hostname` (A-label) resolves through `resolver` to the edge only (docs/product.md §9): after its CNAME
 * chain, every A record must be one of `edge.ipv4` and every AAAA one of `edge.ipv6` (an AAAA elsewhere breaks
 * validation: CAs prefer IPv6), and there must be at least one A or AAAA at the edge. Each foreign record is one
 * problem: `AAAA 2001:db8::1 on shop.example.com does not point at the edge: remove it`. A DNS error (SERVFAIL,
 * timeout) is a transient failure naming the error code. Never throws.
 */
export async function checkAddresses(
  hostname: string,
  resolver: Resolver,
  edge: { ipv4: readonly string[]; ipv6: readonly string[] },
): Promise<PreflightResult> {
  const name = canonicalName(hostname);
  const walk = await followCnameChain(name, resolver);
  if (walk.end === "nxdomain")
    return { ok: false, step: "dns", problems: [`${name} does not exist in DNS: add its CNAME or A record first.`] };
  if (walk.end === "dangling")
    return { ok: false, step: "dns", problems: [`The CNAME of ${name} ends at ${walk.final}, which does not exist.`] };
  if (walk.end === "loop" || walk.end === "too-long")
    return {
      ok: false,
      step: "dns",
      problems: [`The CNAME chain of ${name} ${walk.end === "loop" ? "loops" : "is longer than 8 names"}: fix it.`],
    };
  if (walk.end === "error")
    return {
      ok: false,
      step: "dns",
      transient: true,
      problems: [`DNS lookup of ${walk.errorName ?? name} failed (${walk.errorCode}): it is retried.`],
    };
  const final = walk.final;
  const lookup = async (family: 4 | 6): Promise<string[] | { error: string }> => {
    try {
      return family === 4 ? await resolver.resolve4(final) : await resolver.resolve6(final);
    } catch (error) {
      const code = dnsErrorCode(error);
      return code === "ENODATA" || code === "ENOTFOUND" ? [] : { error: code };
    }
  };
  const [a, aaaa] = await Promise.all([lookup(4), lookup(6)]);
  for (const [type, answer] of [
    ["A", a],
    ["AAAA", aaaa],
  ] as const) {
    if (!Array.isArray(answer))
      return {
        ok: false,
        step: "dns",
        transient: true,
        problems: [`DNS lookup of ${type} ${final} failed (${answer.error}): it is retried.`],
      };
  }
  const v4 = a as string[];
  const v6 = (aaaa as string[]).map((x) => x.toLowerCase());
  const edge6 = new Set(edge.ipv6.map((x) => x.toLowerCase()));
  const problems = [
    ...v4.filter((x) => !edge.ipv4.includes(x)).map((x) => `A ${x} on ${final} does not point at the edge: remove it.`),
    ...v6.filter((x) => !edge6.has(x)).map((x) => `AAAA ${x} on ${final} does not point at the edge: remove it.`),
  ];
  if (problems.length) return { ok: false, step: "dns", problems };
  if (v4.length + v6.length === 0) return { ok: false, step: "dns", problems: [`${final} has no A or AAAA record: point it at the edge.`] };
  return { ok: true };
}

/** The names whose CAA records are looked at for `hostname`, nearest first: the name, then each parent above it, down to (not including) the TLD. */
export function caaClimb(hostname: string): string[] {
  const labels = canonicalName(hostname).split(".");
  const names: string[] = [];
  for (let i = 0; i < labels.length - 1; i++) names.push(labels.slice(i).join("."));
  return names;
}

/** Known CAA property tags (RFC 8659 §4.2–4.4); a critical record with another tag forbids issuance. */
const KNOWN_CAA_TAGS = new Set(["issue", "issuewild", "iodef", "contactemail", "contactphone"]);

/**
 * Checks CAA for `hostname` (not a wildcard) by RFC 8659 §3: the relevant record set is the first non-empty one found
 * climbing from the name towards the TLD (each lookup follows CNAMEs). Issuance is allowed when no set exists, when
 * the set has no `issue` record, or when an `issue` value's issuer domain is one of `identities` (case-insensitive;
 * parameters after `;` ignored). Refused with a sentence naming the name holding the set: `CAA on example.com allows
 * only digicert.com` or `CAA on example.com forbids every CA`, and for a critical record with an unknown tag. A DNS
 * error other than NODATA/NXDOMAIN is a transient failure (a CA refuses then too). An empty `identities` skips the
 * check (there is nothing to compare). Never throws.
 */
export async function checkCaa(hostname: string, resolver: Resolver, identities: readonly string[]): Promise<PreflightResult> {
  if (identities.length === 0) return { ok: true };
  const wanted = new Set(identities.map((x) => x.trim().toLowerCase().replace(/\.$/, "")));
  for (const name of caaClimb(hostname)) {
    let records: Awaited<ReturnType<Resolver["resolveCaa"]>>;
    try {
      records = await resolver.resolveCaa(name);
    } catch (error) {
      const code = dnsErrorCode(error);
      if (code === "ENODATA" || code === "ENOTFOUND") continue;
      return { ok: false, step: "caa", transient: true, problems: [`CAA lookup of ${name} failed (${code}): it is retried.`] };
    }
    if (records.length === 0) continue;
    const critical = records.find((r) => r.critical & 128 && !Object.keys(r).some((k) => KNOWN_CAA_TAGS.has(k)));
    if (critical) {
      const tag = Object.keys(critical).find((k) => k !== "critical") ?? "?";
      return {
        ok: false,
        step: "caa",
        problems: [`CAA on ${name} has a critical record with the unknown tag ${tag}: no CA may issue; remove it.`],
      };
    }
    const issuers = records.filter((r) => typeof r.issue === "string").map((r) => r.issue!.split(";")[0].trim().toLowerCase());
    if (issuers.length === 0) return { ok: true };
    if (issuers.some((issuer) => wanted.has(issuer))) return { ok: true };
    const named = [...new Set(issuers.filter(Boolean))];
    const add = `add CAA 0 issue "${[...wanted][0]}" on ${name}`;
    return {
      ok: false,
      step: "caa",
      problems: [named.length ? `CAA on ${name} allows only ${named.join(", ")}: ${add}.` : `CAA on ${name} forbids every CA: ${add}.`],
    };
  }
  return { ok: true };
}

/** The path an HTTP-01 token is served at (RFC 8555 §8.3). */
export function challengePath(token: string): string {
  return `/.well-known/acme-challenge/${token}`;
}

/**
 * Sends `GET /.well-known/acme-challenge/<token>` with `Host: hostname` to `address:port` (a real request, no proxy)
 * and resolves to null when the body (trimmed) equals `expected`, else to one sentence saying what came back
 * (status, wrong body, connection error, timeout after `timeoutMs`, default 5000). Never rejects.
 */
export function fetchToken(input: {
  hostname: string;
  address: string;
  port: number;
  token: string;
  expected: string;
  timeoutMs?: number;
}): Promise<string | null> {
  const where = `${net.isIPv6(input.address) ? `[${input.address}]` : input.address}:${input.port}`;
  const url = `http://${input.hostname}${challengePath(input.token)}`;
  return new Promise((resolve) => {
    const request = http.request(
      {
        host: input.address,
        port: input.port,
        method: "GET",
        path: challengePath(input.token),
        headers: { host: input.hostname, "user-agent": "edge-console-preflight" },
        timeout: input.timeoutMs ?? 5000,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 4096) chunks.push(chunk);
        });
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8").trim();
          if (response.statusCode !== 200) resolve(`${url} through ${where} answered ${response.statusCode} instead of the token.`);
          else if (body !== input.expected) resolve(`${url} through ${where} answered 200 with another body than the token.`);
          else resolve(null);
        });
        response.on("error", (error) => resolve(`${url} through ${where} failed while reading: ${error.message}.`));
      },
    );
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", (error) => {
      const code = (error as { code?: string }).code;
      resolve(
        error.message === "timeout"
          ? `${url} through ${where} did not answer within ${(input.timeoutMs ?? 5000) / 1000} s.`
          : `${url} through ${where} could not be reached (${code ?? error.message}).`,
      );
    });
    request.end();
  });
}

/**
 * The HTTP step of the pre-flight: asks every `addresses` × `ports` for the token (see {@link fetchToken}) in
 * parallel. Fails (step `http`) with one problem per address and port that did not return it. With no address or
 * no port it fails saying so (no node has reported its HTTP port). Never throws.
 */
export async function checkHttpToken(input: {
  hostname: string;
  addresses: readonly string[];
  ports: readonly number[];
  token: string;
  expected: string;
  timeoutMs?: number;
}): Promise<PreflightResult> {
  if (input.addresses.length === 0) return { ok: false, step: "http", problems: ["EDGE_IPV4 lists no address to send the HTTP check to."] };
  if (input.ports.length === 0) return { ok: false, step: "http", problems: ["No active edge node has reported its HTTP port."] };
  const targets = input.addresses.flatMap((address) => input.ports.map((port) => ({ address, port })));
  const answers = await Promise.all(targets.map((t) => fetchToken({ ...input, ...t })));
  const problems = answers.filter((a): a is string => a !== null);
  return problems.length ? { ok: false, step: "http", problems } : { ok: true };
}
