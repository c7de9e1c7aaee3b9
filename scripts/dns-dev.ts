// `npm run dns:dev` — a local DNS server for trying go-live without touching real DNS.
//
//   npm run dns:dev [-- zone.json]                  start on 127.0.0.1:5353 (DNS) and :5380 (control)
//   npm run dns:dev -- set <name> <TYPE> <value> [<TYPE> <value>…] [ttl=<s>]   replace a name's records
//   npm run dns:dev -- add <name> <TYPE> <value>    add one record to a name
//   npm run dns:dev -- mode <name> servfail|refused|timeout|none
//   npm run dns:dev -- remove <name> | list | reset
//
// Ports: DNS_DEV_PORT (5353), DNS_DEV_CONTROL_PORT (5380). A zone file maps names to records, e.g.
// {"www.example.test": [{"type": "CNAME", "value": "www.example.test.edge.localhost"}],
//  "example.test": {"records": [{"type": "A", "value": "192.0.2.10"}], "mode": null}}
import fs from "node:fs";
import {
  DNS_FAILURE_MODES,
  DNS_RECORD_TYPES,
  dnsControl,
  startDnsServer,
  zoneEntrySchema,
  type DnsFailureMode,
  type DnsRecordInput,
  type DnsRecordType,
} from "@/lib/testing/dns-server";

const dnsPort = Number(process.env.DNS_DEV_PORT || 5353);
const controlPort = Number(process.env.DNS_DEV_CONTROL_PORT || 5380);
const controlUrl = `http://127.0.0.1:${controlPort}`;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Reads `TYPE value [TYPE value…]` pairs; an optional `ttl=<seconds>` applies to all. */
function parseRecords(args: string[]): DnsRecordInput[] {
  const ttlArg = args.find((a) => a.startsWith("ttl="));
  const ttl = ttlArg ? Number(ttlArg.slice(4)) : undefined;
  const rest = args.filter((a) => a !== ttlArg);
  if (rest.length === 0 || rest.length % 2) fail("expected <TYPE> <value> pairs, e.g. CNAME www.example.test.edge.localhost");
  const records: DnsRecordInput[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const type = rest[i].toUpperCase() as DnsRecordType;
    if (!DNS_RECORD_TYPES.includes(type)) fail(`record type must be one of ${DNS_RECORD_TYPES.join(", ")}`);
    records.push({ type, value: rest[i + 1], ...(ttl === undefined ? {} : { ttl }) });
  }
  return records;
}

async function command(verb: string, args: string[]): Promise<void> {
  const control = dnsControl(controlUrl);
  const [name, ...rest] = args;
  const needName = () => name || fail(`usage: npm run dns:dev -- ${verb} <name> …`);
  switch (verb) {
    case "set":
      await control.set(needName(), parseRecords(rest));
      break;
    case "add": {
      const current = (await control.list())[needName().toLowerCase().replace(/\.$/, "")];
      await control.set(name, [...(current?.records ?? []), ...parseRecords(rest)], current?.mode ?? null);
      break;
    }
    case "mode": {
      const mode = rest[0] === "none" ? null : (rest[0] as DnsFailureMode);
      if (mode !== null && !DNS_FAILURE_MODES.includes(mode)) fail(`mode must be one of ${DNS_FAILURE_MODES.join(", ")} or none`);
      const current = (await control.list())[needName().toLowerCase().replace(/\.$/, "")];
      await control.set(name, current?.records ?? [], mode);
      break;
    }
    case "remove":
      await control.remove(needName());
      break;
    case "reset":
      await control.reset();
      break;
    case "list":
      break;
    default:
      fail(`unknown command "${verb}" (set, add, mode, remove, list, reset, or a zone file to start with)`);
  }
  const zone = await control.list();
  for (const [zoneName, entry] of Object.entries(zone)) {
    const records = entry.records.map((r) => `${r.type} ${r.value} (ttl ${r.ttl})`).join(", ") || "no records";
    console.log(`${zoneName}  ${records}${entry.mode ? `  [${entry.mode}]` : ""}`);
  }
  if (Object.keys(zone).length === 0) console.log("(zone is empty)");
}

async function serve(zoneFile: string | undefined): Promise<void> {
  const server = await startDnsServer({ dnsPort, controlPort });
  if (zoneFile) {
    const json = JSON.parse(fs.readFileSync(zoneFile, "utf8")) as Record<string, unknown>;
    for (const [name, value] of Object.entries(json)) {
      const entry = zoneEntrySchema.parse(Array.isArray(value) ? { records: value } : value);
      server.set(name, entry.records, entry.mode ?? null);
    }
    console.log(`Loaded ${Object.keys(json).length} names from ${zoneFile}.`);
  }
  console.log(`Test DNS server on 127.0.0.1:${server.dnsPort} (UDP+TCP), control API on ${server.controlUrl}

Point the console at it:
  DNS_SERVERS=127.0.0.1:${server.dnsPort} npm start

Set records (from another terminal):
  npm run dns:dev -- set www.example.test CNAME www.example.test.edge.localhost
  npm run dns:dev -- set example.test A 192.0.2.10
  npm run dns:dev -- mode www.example.test servfail     # or refused, timeout, none
  curl -X PUT ${server.controlUrl}/records/www.example.test -H 'content-type: application/json' \\
       -d '{"records":[{"type":"CNAME","value":"www.example.test.edge.localhost"}]}'
  curl -X PUT ${server.controlUrl}/records/example.test -H 'content-type: application/json' \\
       -d '{"records":[{"type":"A","value":"192.0.2.10","ttl":60}]}'
  curl ${server.controlUrl}/records          # list;  curl -X DELETE …/records resets
Query it:
  dig @127.0.0.1 -p ${server.dnsPort} www.example.test CNAME
Ctrl-C stops.`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const [verb, ...args] = process.argv.slice(2);
if (verb === "help" || verb === "--help" || verb === "-h") {
  // The header comment of this file is the help text.
  const text = fs.readFileSync(new URL(import.meta.url), "utf8").split("\n");
  console.log(
    text
      .slice(
        0,
        text.findIndex((l) => l.startsWith("import")),
      )
      .map((l) => l.replace(/^\/\/ ?/, ""))
      .join("\n"),
  );
  process.exit(0);
}
const main = !verb || verb.endsWith(".json") || fs.existsSync(verb) ? serve(verb) : command(verb, args);
main.catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  if (/ECONNREFUSED|fetch failed/.test(message)) fail(`No dns:dev server answers on ${controlUrl}: start it with npm run dns:dev`);
  if (/EADDRINUSE/.test(message)) fail(`Port ${dnsPort} or ${controlPort} is taken: set DNS_DEV_PORT / DNS_DEV_CONTROL_PORT`);
  fail(message);
});
