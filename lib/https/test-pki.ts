import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Certificates for tests, made by the real `openssl` command in a temporary folder (never a product dependency).

/** A folder of test keys and certificates; `remove()` deletes it. */
export type TestPki = {
  dir: string;
  /** Runs openssl with `args` inside the folder; returns stdout. Throws with openssl's stderr on failure. */
  openssl(args: string[]): string;
  /** Makes an EC P-256 key (PKCS#8 PEM) at `name`.key and returns its PEM. */
  key(name: string): string;
  /** A self-signed CA `name` (`name`.key, `name`.crt) valid for `days`; returns the certificate PEM. */
  ca(name: string, days?: number): string;
  /**
   * A certificate `name` signed by CA `issuer` (its files in this folder) for `sans` (DNS names; the first is the
   * CN), valid for `days`; `ca` makes it an intermediate CA. Returns the certificate PEM; the key is `name`.key.
   */
  issue(name: string, issuer: string, sans: string[], options?: { days?: number; ca?: boolean; ips?: string[] }): string;
  read(file: string): string;
  remove(): void;
};

/** Creates a {@link TestPki} in a new temporary folder. Needs `openssl` on the PATH. */
export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-pki-"));
  const openssl = (args: string[]) => {
    try {
      return execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      throw new Error(`openssl ${args.join(" ")}: ${(error as { stderr?: string }).stderr ?? String(error)}`);
    }
  };
  const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
  const key = (name: string) => {
    openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`]);
    return read(`${name}.key`);
  };
  return {
    dir,
    openssl,
    key,
    read,
    ca(name, days = 30) {
      key(name);
      openssl([
        "req",
        "-x509",
        "-new",
        "-key",
        `${name}.key`,
        "-subj",
        `/CN=${name}`,
        "-days",
        String(days),
        "-out",
        `${name}.crt`,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ]);
      return read(`${name}.crt`);
    },
    issue(name, issuer, sans, options = {}) {
      key(name);
      const ext = path.join(dir, `${name}.ext`);
      const lines = options.ca
        ? ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"]
        : ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth"];
      const alt = [...sans.map((s) => `DNS:${s}`), ...(options.ips ?? []).map((ip) => `IP:${ip}`)];
      if (alt.length) lines.push(`subjectAltName=${alt.join(",")}`);
      fs.writeFileSync(ext, lines.join("\n") + "\n");
      openssl(["req", "-new", "-key", `${name}.key`, "-subj", `/CN=${sans[0] ?? name}`, "-out", `${name}.csr`]);
      openssl([
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        `${issuer}.crt`,
        "-CAkey",
        `${issuer}.key`,
        "-CAcreateserial",
        "-days",
        String(options.days ?? 30),
        "-extfile",
        ext,
        "-out",
        `${name}.crt`,
      ]);
      return read(`${name}.crt`);
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
