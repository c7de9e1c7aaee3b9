import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

// The CAs the last hop trusts for HTTPS origins (docs/edge.md "One request": origin TLS verified by default).

/** Debian's bundle of the system's trusted CAs (ca-certificates). */
export const SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The `ca-file` HAProxy verifies origin certificates with. Without `extraFile` (EDGE_ORIGIN_CA_FILE unset or empty)
 * it is the system bundle `systemFile`. With it, writes `<dir>/origin-ca-<sha256 prefix>.pem` = the system bundle
 * followed by every PEM certificate of `extraFile` (e.g. a company CA, or a test CA), removes older bundles, and
 * returns that path: the name follows the content, so a changed file changes haproxy.cfg and the agent's next
 * reload picks it up. Throws an Error naming EDGE_ORIGIN_CA_FILE when the file cannot be read or holds no PEM
 * certificate.
 */
export function originCaFile(dir: string, extraFile: string | undefined, systemFile = SYSTEM_CA_FILE): string {
  if (!extraFile || extraFile.trim() === "") return systemFile;
  let extra: string;
  try {
    extra = fs.readFileSync(extraFile, "utf8");
  } catch (e) {
    throw new Error(`EDGE_ORIGIN_CA_FILE: cannot read ${extraFile}: ${(e as Error).message}`);
  }
  const certs = extra.match(PEM_CERT);
  if (!certs) throw new Error(`EDGE_ORIGIN_CA_FILE: ${extraFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  const system = fs.existsSync(systemFile) ? fs.readFileSync(systemFile, "utf8") : "";
  const bundle = `${system.trimEnd()}${system ? "\n" : ""}${certs.join("\n")}\n`;
  const name = `origin-ca-${createHash("sha256").update(bundle).digest("hex").slice(0, 16)}.pem`;
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    fs.writeFileSync(`${file}.tmp`, bundle, { mode: 0o644 });
    fs.renameSync(`${file}.tmp`, file);
  }
  for (const f of fs.readdirSync(dir))
    if (/^origin-ca-[0-9a-f]{16}\.pem$/.test(f) && f !== name) fs.rmSync(path.join(dir, f), { force: true });
  return file;
}
