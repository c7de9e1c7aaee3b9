import fs from "node:fs";
import path from "node:path";

// The CAs the last hop trusts for HTTPS origins (docs/edge.md "One request": origin TLS verified by default).

/** Debian's bundle of the system's trusted CAs (ca-certificates). */
export const SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The `ca-file` HAProxy verifies origin certificates with. Without `extraFile` (EDGE_ORIGIN_CA_FILE unset or empty)
 * it is the system bundle `systemFile`. With it, the agent writes `<dir>/origin-ca.pem` = the system bundle followed by
 * every PEM certificate of `extraFile` (e.g. a company CA, or a test CA), rewritten only when its content changes,
 * and returns that path. Throws an Error naming EDGE_ORIGIN_CA_FILE when the file cannot be read or holds no
 * PEM certificate.
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
  const file = path.join(dir, "origin-ca.pem");
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null;
  if (current !== bundle) fs.writeFileSync(file, bundle, { mode: 0o644 });
  return file;
}
