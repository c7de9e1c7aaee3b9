import crypto, { X509Certificate, type KeyObject } from "node:crypto";
import { getPublicSuffix } from "tldts";
import { edgeLoadProblems } from "@/edge/agent/certificate-load";

// Reading and checking certificates (docs/product.md §9, docs/https.md "Own certificates"): an admin's PEM chain and
// key are accepted only when the key matches the leaf, the leaf covers the hostname and has not expired; a chain
// pasted in another order is put leaf first. The same reading gives the facts shown for ACME certificates.

export { edgeLoadProblems };

/** A refusal tied to the field that caused it (`public_certificates` or `private_key`, the API's names). */
export type CertificateFieldError = { field: "public_certificates" | "private_key"; message: string };

/** What the console shows and stores about a certificate (never the key). */
export type CertificateFacts = {
  /** The issuer's common name, else its organisation, else the whole distinguished name. */
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** Serial number, hex upper-case. */
  serial: string;
  /** DNS subject alternative names, lower-case, as written (wildcards kept). */
  sans: string[];
};

/** A checked certificate: the chain leaf first (PEM, one block per certificate), the key as PKCS#8 PEM, the facts. */
export type CheckedCertificate = { chainPem: string; keyPem: string; facts: CertificateFacts };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Largest PEM input accepted per field (bytes): a chain of ten certificates with 4096-bit keys fits. */
export const MAX_PEM_BYTES = 64 * 1024;

/** The certificates' PEM blocks of `text`, in the order written. */
export function pemBlocks(text: string): string[] {
  return text.match(PEM_CERTIFICATE) ?? [];
}

/** Lower-cases a name and drops trailing dots. */
function bare(name: string): string {
  return name.trim().toLowerCase().replace(/\.+$/, "");
}

/**
 * The DNS names of a certificate's subjectAltName (RFC 5280 §4.2.1.6), lower-case. Node writes the extension as
 * `DNS:a.example, DNS:*.b.example, IP Address:…` (values with separators quoted as JSON strings).
 */
export function dnsNames(certificate: X509Certificate): string[] {
  const text = certificate.subjectAltName ?? "";
  const names: string[] = [];
  const entry = /(?:^|,\s*)DNS:("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = entry.exec(text); m; m = entry.exec(text)) {
    const raw = m[1].startsWith('"') ? (JSON.parse(m[1]) as string) : m[1];
    names.push(bare(raw));
  }
  return names;
}

/**
 * Whether the DNS name `pattern` from a certificate covers `hostname` (both A-labels), by RFC 6125 §6.4.3 as CAs apply
 * it: an exact match, or `*.` + base where the wildcard stands for exactly one whole left-most label, the base has at
 * least two labels and is not a public suffix (`*.co.uk` covers nothing). Partial wildcards (`w*.example.com`) and
 * wildcards in other labels never match.
 */
export function nameCovers(pattern: string, hostname: string): boolean {
  const p = bare(pattern);
  const h = bare(hostname);
  if (!p || !h) return false;
  if (!p.includes("*")) return p === h;
  if (!p.startsWith("*.") || p.indexOf("*", 1) !== -1) return false;
  const base = p.slice(2);
  if (!base.includes(".") || getPublicSuffix(base) === base) return false;
  const dot = h.indexOf(".");
  return dot > 0 && h.slice(dot + 1) === base;
}

/** The issuer name to show: CN, else O, else the distinguished name on one line. */
function issuerName(certificate: X509Certificate): string {
  const lines = certificate.issuer.split("\n");
  const pick = (key: string) => lines.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  return pick("CN") ?? pick("O") ?? lines.join(", ");
}

/** The facts of a parsed certificate (see {@link CertificateFacts}). */
export function certificateFacts(certificate: X509Certificate): CertificateFacts {
  return {
    issuer: issuerName(certificate),
    notBefore: new Date(certificate.validFrom),
    notAfter: new Date(certificate.validTo),
    serial: certificate.serialNumber.toUpperCase(),
    sans: dnsNames(certificate),
  };
}

/** The facts of the first certificate of a PEM chain (what ACME returned), or null when it does not parse. */
export function chainFacts(chainPem: string): CertificateFacts | null {
  const first = pemBlocks(chainPem)[0];
  if (!first) return null;
  try {
    return certificateFacts(new X509Certificate(first));
  } catch {
    return null;
  }
}

function dateText(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Puts the certificates leaf first, each followed by its issuer: from `leaf`, repeatedly the certificate of the rest
 * that issued the last one (name and signature, RFC 5280 §6.1). Returns the ordered chain and the certificates that
 * are not part of it.
 */
function orderChain(leaf: X509Certificate, rest: X509Certificate[]): { chain: X509Certificate[]; unrelated: X509Certificate[] } {
  const chain = [leaf];
  const left = [...rest];
  for (;;) {
    const last = chain[chain.length - 1];
    const i = left.findIndex((c) => last.checkIssued(c) && last.verify(c.publicKey));
    if (i === -1 || last.checkIssued(last)) break; // no issuer given, or the last is self-signed (a root)
    chain.push(left.splice(i, 1)[0]);
  }
  return { chain, unrelated: left };
}

/**
 * Checks an admin's own certificate for `hostname` (A-label) at time `now` (docs/product.md §9): `chainText` holds
 * one or more PEM certificates in any order, `keyText` one unencrypted PEM private key (PKCS#1, PKCS#8 or SEC1).
 * Refused, each with a field message: no or unreadable certificates or key, an encrypted key, a key that matches no
 * certificate, a certificate of the chain that does not belong to the leaf's chain, a leaf that does not cover the
 * hostname (wildcards by {@link nameCovers}), a key or signature the nodes' HAProxy refuses ({@link edgeLoadProblems}),
 * a leaf that has expired or is not valid yet. On success the chain is
 * returned leaf first and the key as PKCS#8 PEM. Never throws for bad input.
 */
export function checkOwnCertificate(input: {
  hostname: string;
  chainText: string;
  keyText: string;
  now?: Date;
}): { ok: true; certificate: CheckedCertificate } | { ok: false; errors: CertificateFieldError[] } {
  const now = input.now ?? new Date();
  const errors: CertificateFieldError[] = [];
  const chainText = typeof input.chainText === "string" ? input.chainText : "";
  const keyText = typeof input.keyText === "string" ? input.keyText : "";
  if (Buffer.byteLength(chainText) > MAX_PEM_BYTES)
    errors.push({ field: "public_certificates", message: `The certificate chain is larger than ${MAX_PEM_BYTES / 1024} KiB.` });
  if (Buffer.byteLength(keyText) > MAX_PEM_BYTES)
    errors.push({ field: "private_key", message: `The private key is larger than ${MAX_PEM_BYTES / 1024} KiB.` });
  if (errors.length) return { ok: false, errors };

  const blocks = pemBlocks(chainText);
  const certificates: X509Certificate[] = [];
  if (blocks.length === 0) {
    errors.push({
      field: "public_certificates",
      message:
        "No certificate found: paste the PEM chain, each certificate between -----BEGIN CERTIFICATE----- and -----END CERTIFICATE-----.",
    });
  }
  blocks.forEach((block, i) => {
    try {
      certificates.push(new X509Certificate(block));
    } catch {
      errors.push({
        field: "public_certificates",
        message: `Certificate ${i + 1} of the chain cannot be read: it is not a valid X.509 certificate.`,
      });
    }
  });

  let key: KeyObject | null = null;
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyText)) {
    errors.push({
      field: "private_key",
      message: "The private key is encrypted: paste it without a passphrase (openssl pkey -in key.pem).",
    });
  } else if (!/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(keyText)) {
    errors.push({
      field: "private_key",
      message: "No private key found: paste the PEM key, between -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY-----.",
    });
  } else {
    try {
      key = crypto.createPrivateKey({ key: keyText, format: "pem" });
    } catch {
      errors.push({ field: "private_key", message: "The private key cannot be read: it is not a valid PEM private key." });
    }
  }
  if (errors.length || !key) return { ok: false, errors };

  const leafIndex = certificates.findIndex((c) => {
    try {
      return c.checkPrivateKey(key!);
    } catch {
      return false;
    }
  });
  if (leafIndex === -1) {
    return {
      ok: false,
      errors: [{ field: "private_key", message: "The private key does not match the certificate: it belongs to another certificate." }],
    };
  }
  const leaf = certificates[leafIndex];
  const { chain, unrelated } = orderChain(
    leaf,
    certificates.filter((_, i) => i !== leafIndex),
  );
  if (unrelated.length) {
    const names = unrelated.map(
      (c) =>
        c.subject
          .split("\n")
          .find((l) => l.startsWith("CN="))
          ?.slice(3) ?? c.subject.replace(/\n/g, ", "),
    );
    errors.push({
      field: "public_certificates",
      message: `The chain holds certificates that did not issue the certificate for ${input.hostname} or its issuers: ${names.join("; ")}. Remove them.`,
    });
  }
  const facts = certificateFacts(leaf);
  if (!facts.sans.some((name) => nameCovers(name, input.hostname))) {
    errors.push({
      field: "public_certificates",
      message: facts.sans.length
        ? `The certificate covers ${facts.sans.join(", ")}, not ${input.hostname}.`
        : `The certificate names no DNS name (subjectAltName): it does not cover ${input.hostname}.`,
    });
  }
  for (const message of edgeLoadProblems(chain)) errors.push({ field: "public_certificates", message });
  if (facts.notAfter.getTime() <= now.getTime()) {
    errors.push({ field: "public_certificates", message: `The certificate expired on ${dateText(facts.notAfter)}.` });
  } else if (facts.notBefore.getTime() > now.getTime()) {
    errors.push({ field: "public_certificates", message: `The certificate is not valid before ${dateText(facts.notBefore)}.` });
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    certificate: {
      chainPem: chain.map((c) => c.toString().trim()).join("\n") + "\n",
      keyPem: key.export({ format: "pem", type: "pkcs8" }).toString(),
      facts,
    },
  };
}
