import http from "node:http";
import dgram from "node:dgram";
import net from "node:net";
import type { AddressInfo, Socket } from "node:net";
import dns2 from "dns2";
import { z } from "zod";

// A small DNS server for tests, benchmarks and `npm run dns:dev`: answers from a mutable in-memory zone on
// 127.0.0.1 (UDP and TCP) like a recursive resolver would (RFC 1034 §4.3.2, RFC 2308, RFC 6604), and takes record
// changes through a JSON control API on a second loopback port. Never a product dependency.

const { Packet } = dns2;

/** Record types the server holds. A CAA value is written as in a zone file: `0 issue "letsencrypt.org"` (RFC 8659 §4). */
export const DNS_RECORD_TYPES = ["CNAME", "A", "AAAA", "TXT", "CAA"] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];
/** How a name fails instead of answering: rcode SERVFAIL (2), rcode REFUSED (5), or no answer at all. */
export const DNS_FAILURE_MODES = ["servfail", "refused", "timeout"] as const;
export type DnsFailureMode = (typeof DNS_FAILURE_MODES)[number];

/** One record as given to the server; `ttl` in seconds (default 300). */
export type DnsRecordInput = { type: DnsRecordType; value: string; ttl?: number };
/** One record as stored. */
export type DnsRecord = { type: DnsRecordType; value: string; ttl: number };
/** What the server holds for one name. */
export type DnsZoneEntry = { records: DnsRecord[]; mode: DnsFailureMode | null };
/** One query the server received (`name` as asked, `type` as a mnemonic like `A`, or the number). */
export type DnsQueryLogEntry = { name: string; type: string };

/** Body of `PUT /records/<name>` on the control API. */
export const zoneEntrySchema = z.object({
  records: z
    .array(
      z.object({
        type: z.enum(DNS_RECORD_TYPES),
        value: z.string().min(1).max(4000),
        ttl: z.number().int().min(0).max(2_147_483_647).optional(),
      }),
    )
    .default([]),
  mode: z.enum(DNS_FAILURE_MODES).nullable().optional(),
});

/** Lower-cases a name and drops one trailing dot: the zone's key form. */
export function zoneKey(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/**
 * Checks and normalises records for one name. Throws an Error for a malformed address, a second CNAME, or a
 * CNAME next to other data (RFC 1034 §3.6.2).
 */
export function normaliseRecords(records: DnsRecordInput[]): DnsRecord[] {
  const out = records.map((r) => {
    const ttl = r.ttl ?? 300;
    if (r.type === "A" && !net.isIPv4(r.value)) throw new Error(`A record needs an IPv4 address, got "${r.value}"`);
    if (r.type === "AAAA" && !net.isIPv6(r.value)) throw new Error(`AAAA record needs an IPv6 address, got "${r.value}"`);
    if (r.type === "CNAME" && !/^[A-Za-z0-9_.-]+$/.test(r.value)) throw new Error(`bad CNAME target "${r.value}"`);
    if (r.type === "CAA") parseCaaValue(r.value);
    return { type: r.type, value: r.value.trim(), ttl };
  });
  const cnames = out.filter((r) => r.type === "CNAME").length;
  if (cnames > 1) throw new Error("a name holds at most one CNAME record");
  if (cnames === 1 && out.length > 1) throw new Error("a CNAME cannot coexist with other records at the same name");
  return out;
}

/**
 * Reads a CAA value in zone-file form, `<flags> <tag> "<value>"` (RFC 8659 §4.1.1; the quotes are optional), into
 * its parts. Throws an Error for another shape (flags outside 0–255, a tag that is not letters and digits).
 */
export function parseCaaValue(value: string): { flags: number; tag: string; value: string } {
  const match = /^\s*(\d{1,3})\s+([A-Za-z0-9]+)\s+(?:"([^"]*)"|(\S*))\s*$/.exec(value);
  if (!match || Number(match[1]) > 255) throw new Error(`CAA record needs '<flags> <tag> "<value>"', got "${value}"`);
  return { flags: Number(match[1]), tag: match[2], value: match[3] ?? match[4] ?? "" };
}

/** The records and failure modes of a zone; the DNS handler and the control API both work on it. */
export class DnsZone {
  private entries = new Map<string, DnsZoneEntry>();

  /** Replaces everything held for `name` (records and failure mode). Throws on invalid records. */
  set(name: string, records: DnsRecordInput[], mode: DnsFailureMode | null = null): void {
    const key = zoneKey(name);
    if (!key) throw new Error("empty name");
    this.entries.set(key, { records: normaliseRecords(records), mode });
  }

  /** Forgets `name` (it becomes NXDOMAIN unless a longer name exists below it). */
  remove(name: string): void {
    this.entries.delete(zoneKey(name));
  }

  /** Forgets every name. */
  reset(): void {
    this.entries.clear();
  }

  /** The entry for a name, or undefined. */
  get(name: string): DnsZoneEntry | undefined {
    return this.entries.get(zoneKey(name));
  }

  /** Whether a name exists: it has an entry, or a longer name ends with it (an empty non-terminal, RFC 8020). */
  exists(name: string): boolean {
    const key = zoneKey(name);
    if (this.entries.has(key)) return true;
    for (const other of this.entries.keys()) if (other.endsWith("." + key)) return true;
    return false;
  }

  /** A copy of the whole zone, keyed by name. */
  snapshot(): Record<string, DnsZoneEntry> {
    return Object.fromEntries([...this.entries].map(([k, v]) => [k, { records: [...v.records], mode: v.mode }]));
  }
}

/** Response codes (RFC 1035 §4.1.1); dns2 has them at runtime but not in its types. */
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

const TYPE_CODE: Record<DnsRecordType, number> = {
  A: Packet.TYPE.A,
  AAAA: Packet.TYPE.AAAA,
  CNAME: Packet.TYPE.CNAME,
  TXT: Packet.TYPE.TXT,
  CAA: Packet.TYPE.CAA,
};
const TYPE_NAME = new Map<number, string>(Object.entries(Packet.TYPE).map(([k, v]) => [v as number, k]));

function resource(name: string, record: DnsRecord): dns2.Packet.Resource {
  const base = { name, type: TYPE_CODE[record.type], class: Packet.CLASS.IN, ttl: record.ttl };
  switch (record.type) {
    case "A":
    case "AAAA":
      return { ...base, address: record.value } as unknown as dns2.Packet.Resource;
    case "CNAME":
      return { ...base, domain: record.value } as unknown as dns2.Packet.Resource;
    case "TXT": {
      // A TXT record is a list of <character-string>s of at most 255 octets (RFC 1035 §3.3.14).
      const chunks = record.value.match(/[\s\S]{1,255}/g) ?? [""];
      return { ...base, data: chunks } as unknown as dns2.Packet.Resource;
    }
    case "CAA":
      return { ...base, ...parseCaaValue(record.value) } as unknown as dns2.Packet.Resource;
  }
}

function soa(zoneName: string): dns2.Packet.Resource {
  // Negative answers carry the zone's SOA so resolvers can cache them for `minimum` seconds (RFC 2308 §3).
  return {
    name: zoneName,
    type: Packet.TYPE.SOA,
    class: Packet.CLASS.IN,
    ttl: 5,
    primary: "ns.dns-test.localhost",
    admin: "hostmaster.dns-test.localhost",
    serial: 1,
    refresh: 3600,
    retry: 600,
    expiration: 86400,
    minimum: 5,
  } as unknown as dns2.Packet.Resource;
}

type Answer = { rcode: number; answers: dns2.Packet.Resource[]; negative: boolean } | "timeout";

/**
 * Answers one question from the zone as a recursive resolver would: CNAME chains inside the zone are followed
 * for every type but CNAME and ANY (RFC 1034 §4.3.2); a chain ending at an unknown name answers NXDOMAIN with the
 * chain (RFC 6604); a chain loop answers SERVFAIL; an existing name without the type answers NODATA.
 */
export function answerQuestion(zone: DnsZone, qname: string, qtype: number): Answer {
  const answers: dns2.Packet.Resource[] = [];
  const seen = new Set<string>();
  let name = qname.replace(/\.$/, "");
  for (;;) {
    const key = zoneKey(name);
    if (seen.has(key)) return { rcode: RCODE.SERVFAIL, answers: [], negative: false };
    seen.add(key);
    const entry = zone.get(key);
    if (entry?.mode === "timeout") return "timeout";
    if (entry?.mode === "servfail") return { rcode: RCODE.SERVFAIL, answers: [], negative: false };
    if (entry?.mode === "refused") return { rcode: RCODE.REFUSED, answers: [], negative: false };
    if (!entry || entry.records.length === 0) {
      const rcode = zone.exists(key) ? RCODE.NOERROR : RCODE.NXDOMAIN;
      return { rcode, answers, negative: true };
    }
    if (qtype === Packet.TYPE.ANY) {
      return { rcode: RCODE.NOERROR, answers: entry.records.map((r) => resource(name, r)), negative: false };
    }
    const cname = entry.records.find((r) => r.type === "CNAME");
    if (cname && qtype !== Packet.TYPE.CNAME) {
      answers.push(resource(name, cname));
      name = cname.value.replace(/\.$/, "");
      continue;
    }
    const matching = entry.records.filter((r) => TYPE_CODE[r.type] === qtype);
    return { rcode: RCODE.NOERROR, answers: [...answers, ...matching.map((r) => resource(name, r))], negative: matching.length === 0 };
  }
}

/** The query log keeps at least this many of the latest queries. */
const QUERY_LOG_KEPT = 10_000;

/** Options of `startDnsServer`; a port of 0 (the default) picks a free one. Both listen on 127.0.0.1 only. */
export type StartDnsServerOptions = { dnsPort?: number; controlPort?: number; zone?: DnsZone };

/** A running test DNS server. */
export type TestDnsServer = {
  /** UDP and TCP port of the DNS server on 127.0.0.1. */
  dnsPort: number;
  /** Port of the HTTP control API on 127.0.0.1. */
  controlPort: number;
  /** `127.0.0.1:<dnsPort>`, the form `DNS_SERVERS` and `Resolver.setServers` take. */
  address: string;
  /** `http://127.0.0.1:<controlPort>`, for `dnsControl()`. */
  controlUrl: string;
  zone: DnsZone;
  /** Replaces the records and failure mode of one name (case-insensitive, trailing dot ignored). */
  set(name: string, records: DnsRecordInput[], mode?: DnsFailureMode | null): void;
  remove(name: string): void;
  /** Forgets every name and the query log. */
  reset(): void;
  /** Queries received since start or the last `clearQueries()`, in order (at least the latest 10,000). */
  queries(): DnsQueryLogEntry[];
  clearQueries(): void;
  /** Stops both listeners and drops open TCP connections. */
  close(): Promise<void>;
};

/**
 * Starts the test DNS server on 127.0.0.1 (UDP + TCP on `dnsPort`, HTTP control API on `controlPort`).
 * Control API: `PUT /records/<name>` `{records:[{type,value,ttl?}], mode?}`, `DELETE /records/<name>`,
 * `GET /records`, `DELETE /records`, `GET /queries`, `DELETE /queries`. Rejects when a port is taken.
 */
export async function startDnsServer(options: StartDnsServerOptions = {}): Promise<TestDnsServer> {
  const zone = options.zone ?? new DnsZone();
  let log: DnsQueryLogEntry[] = [];
  const tcpSockets = new Set<Socket>();

  const handle: dns2.DnsHandler = (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    response.header.ra = 1;
    const question = request.questions[0];
    if (!question) {
      response.header.rcode = RCODE.FORMERR;
      void send(response).catch(() => {});
      return;
    }
    if (log.length >= 2 * QUERY_LOG_KEPT) log = log.slice(-QUERY_LOG_KEPT); // a long-running dev server stays small
    log.push({ name: question.name, type: TYPE_NAME.get(question.type) ?? String(question.type) });
    const answer =
      question.class === Packet.CLASS.IN || question.class === Packet.CLASS.ANY
        ? answerQuestion(zone, question.name, question.type)
        : { rcode: RCODE.REFUSED, answers: [], negative: false };
    if (answer === "timeout") return; // never answer: the client times out
    response.header.rcode = answer.rcode;
    response.answers = answer.answers;
    if (answer.negative) response.authorities = [soa(zoneKey(question.name).split(".").slice(-2).join("."))];
    void send(response).catch(() => {});
  };
  const { server, port: dnsPort } = await listenDns(handle, options.dnsPort ?? 0);
  const { tcp } = serversOf(server);
  tcp.on("connection", (socket: Socket) => {
    tcpSockets.add(socket);
    socket.on("close", () => tcpSockets.delete(socket));
  });

  const control = http.createServer((req, res) => {
    void handleControl(zone, req, res, {
      queries: () => log,
      clearQueries: () => {
        log = [];
      },
    });
  });
  await new Promise<void>((resolve, reject) => {
    control.once("error", reject);
    control.listen(options.controlPort ?? 0, "127.0.0.1", () => resolve());
  }).catch(async (error) => {
    await closeQuietly(server);
    throw error;
  });
  const controlPort = (control.address() as AddressInfo).port;

  return {
    dnsPort,
    controlPort,
    address: `127.0.0.1:${dnsPort}`,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    zone,
    set: (name, records, mode = null) => zone.set(name, records, mode),
    remove: (name) => zone.remove(name),
    reset: () => {
      zone.reset();
      log = [];
    },
    queries: () => [...log],
    clearQueries: () => {
      log = [];
    },
    close: async () => {
      for (const socket of tcpSockets) socket.destroy();
      control.closeAllConnections();
      await Promise.all([closeQuietly(server), new Promise<void>((resolve) => control.close(() => resolve()))]);
    },
  };
}

type Dns2Server = ReturnType<typeof dns2.createServer>;

function serversOf(server: Dns2Server): { udp: dgram.Socket; tcp: net.Server } {
  return (server as unknown as { servers: { udp: dgram.Socket; tcp: net.Server } }).servers;
}

/**
 * Creates a dns2 server and binds its UDP and TCP listeners to the same port on 127.0.0.1 (one `host:port` serves
 * both; c-ares retries over TCP on truncation). With port 0, tries again when TCP finds the random UDP port taken.
 */
async function listenDns(handle: dns2.DnsHandler, port: number): Promise<{ server: Dns2Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const server = dns2.createServer({ udp: true, tcp: true, handle });
    server.on("requestError", () => {});
    server.on("error", () => {}); // bind errors are taken from the listeners below
    const { udp, tcp } = serversOf(server);
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once("error", reject);
        udp.bind({ port, address: "127.0.0.1", exclusive: true }, () => {
          udp.off("error", reject);
          resolve();
        });
      });
      const udpPort = udp.address().port;
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen({ port: udpPort, host: "127.0.0.1" }, () => {
          tcp.off("error", reject);
          resolve();
        });
      });
      return { server, port: udpPort };
    } catch (error) {
      await closeQuietly(server);
      if (port !== 0 || attempt >= 5) throw error;
    }
  }
}

async function closeQuietly(server: Dns2Server): Promise<void> {
  const servers = Object.values((server as unknown as { servers: Record<string, { close(cb?: () => void): void }> }).servers);
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          try {
            s.close(() => resolve());
          } catch {
            resolve(); // not listening
          }
        }),
    ),
  );
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function handleControl(
  zone: DnsZone,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  log: { queries(): DnsQueryLogEntry[]; clearQueries(): void },
): Promise<void> {
  try {
    const url = new URL(req.url ?? "/", "http://control.invalid");
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] === "records" && parts.length === 1) {
      if (req.method === "GET") return reply(res, 200, { records: zone.snapshot() });
      if (req.method === "DELETE") {
        zone.reset();
        return reply(res, 200, { ok: true });
      }
    }
    if (parts[0] === "records" && parts.length === 2) {
      const name = decodeURIComponent(parts[1]);
      if (req.method === "GET") return reply(res, zone.get(name) ? 200 : 404, zone.get(name) ?? { error: "no such name" });
      if (req.method === "DELETE") {
        zone.remove(name);
        return reply(res, 200, { ok: true });
      }
      if (req.method === "PUT") {
        const parsed = zoneEntrySchema.safeParse(JSON.parse((await readBody(req)) || "{}"));
        if (!parsed.success)
          return reply(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
        zone.set(name, parsed.data.records, parsed.data.mode ?? null);
        return reply(res, 200, { name: zoneKey(name), ...zone.get(name) });
      }
    }
    if (parts[0] === "queries" && parts.length === 1) {
      if (req.method === "GET") return reply(res, 200, { queries: log.queries() });
      if (req.method === "DELETE") {
        log.clearQueries();
        return reply(res, 200, { ok: true });
      }
    }
    reply(res, 404, { error: "not found" });
  } catch (error) {
    reply(res, 400, { error: error instanceof Error ? error.message : String(error) });
  }
}

/** Client of the control API for another process (e.g. a Playwright test). Every method rejects on a non-2xx answer. */
export type DnsControlClient = {
  set(name: string, records: DnsRecordInput[], mode?: DnsFailureMode | null): Promise<void>;
  remove(name: string): Promise<void>;
  reset(): Promise<void>;
  list(): Promise<Record<string, DnsZoneEntry>>;
  queries(): Promise<DnsQueryLogEntry[]>;
  clearQueries(): Promise<void>;
};

/** A client for the control API at `controlUrl` (e.g. `http://127.0.0.1:5380`), using `fetch`. */
export function dnsControl(controlUrl: string): DnsControlClient {
  const base = controlUrl.replace(/\/+$/, "");
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as { error?: string };
    if (!res.ok) throw new Error(`DNS control ${method} ${path}: ${res.status} ${json.error ?? ""}`.trim());
    return json;
  };
  const named = (name: string) => "/records/" + encodeURIComponent(zoneKey(name));
  return {
    set: async (name, records, mode = null) => void (await call("PUT", named(name), { records, mode })),
    remove: async (name) => void (await call("DELETE", named(name))),
    reset: async () => void (await call("DELETE", "/records")),
    list: async () => ((await call("GET", "/records")) as { records: Record<string, DnsZoneEntry> }).records,
    queries: async () => ((await call("GET", "/queries")) as { queries: DnsQueryLogEntry[] }).queries,
    clearQueries: async () => void (await call("DELETE", "/queries")),
  };
}
