import { createPrivateKey, X509Certificate } from "node:crypto";

// What the nodes' HAProxy refuses to load (docs/https.md "Edge side"): used by the console on every own-certificate
// upload and by the agent before a certificate reaches HAProxy, so one bad certificate never stops a node.

/** Signature algorithms (OID → hash) that OpenSSL's default security level on the nodes refuses (RFC 3279 §2.2). */
const WEAK_SIGNATURES: Record<string, string> = {
  "1.2.840.113549.1.1.2": "MD2",
  "1.2.840.113549.1.1.4": "MD5",
  "1.2.840.113549.1.1.5": "SHA-1",
  "1.3.14.3.2.29": "SHA-1",
  "1.2.840.10045.4.1": "SHA-1",
  "1.2.840.10040.4.3": "SHA-1",
};

/** The EC curves (OpenSSL names) a leaf may use: those the CA/Browser Forum baseline requirements allow (§6.1.5). */
const LEAF_CURVES = ["prime256v1", "secp384r1", "secp521r1"];

/** One DER element at `offset` of `der` (X.690 §8.1): its tag, where its content starts and where it ends. */
function derElement(der: Buffer, offset: number): { tag: number; start: number; end: number } {
  const tag = der[offset];
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i];
    start += bytes;
  }
  return { tag, start, end: start + length };
}

/** The OID of a certificate's outer signatureAlgorithm (RFC 5280 §4.1.1.2), dotted; null when the DER is not as expected. */
function signatureOid(certificate: X509Certificate): string | null {
  try {
    const der = certificate.raw;
    const outer = derElement(der, 0);
    const tbs = derElement(der, outer.start);
    const algorithm = derElement(der, tbs.end);
    const oid = derElement(der, algorithm.start);
    if (outer.tag !== 0x30 || algorithm.tag !== 0x30 || oid.tag !== 0x06) return null;
    const arcs: number[] = [];
    let value = 0;
    for (let i = oid.start; i < oid.end; i++) {
      value = value * 128 + (der[i] & 0x7f);
      if (!(der[i] & 0x80)) {
        if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
        else arcs.push(value);
        value = 0;
      }
    }
    return arcs.join(".");
  } catch {
    return null;
  }
}

/**
 * Why the nodes' HAProxy (OpenSSL security level 2, Debian's default) would refuse to load `chain` (leaf first), or
 * browsers would refuse the leaf, one sentence per certificate: a leaf key that is not RSA or ECDSA P-256/P-384/P-521
 * (DSA, RSA-PSS, Ed25519, secp256k1…), an RSA or DSA key under 2048 bits, an EC key under 224 bits, or a certificate
 * that is not self-signed and is signed with MD5 or SHA-1. A certificate HAProxy refuses fails the node's reload from its files
 * (docs/https.md "Edge side"), so it is refused here. Empty when the chain loads.
 */
export function edgeLoadProblems(chain: X509Certificate[]): string[] {
  const problems: string[] = [];
  chain.forEach((certificate, i) => {
    const cn =
      certificate.subject
        .split("\n")
        .find((l) => l.startsWith("CN="))
        ?.slice(3) ?? certificate.subject.replace(/\n/g, ", ");
    const which = `Certificate ${i + 1} of the chain (${cn})`;
    const type = certificate.publicKey.asymmetricKeyType;
    const details = certificate.publicKey.asymmetricKeyDetails ?? {};
    if (i === 0 && !(type === "rsa" || (type === "ec" && LEAF_CURVES.includes(details.namedCurve ?? "")))) {
      const names: Record<string, string> = { dsa: "DSA", "rsa-pss": "RSA-PSS", ed25519: "Ed25519", ed448: "Ed448" };
      const name = names[String(type)] ?? String(type);
      const what = type === "ec" ? `an EC key on ${details.namedCurve}` : `${/^[ER]/.test(name) ? "an" : "a"} ${name} key`;
      problems.push(`${which} has ${what}: browsers accept RSA and ECDSA P-256, P-384 or P-521 certificates; ask the CA for one of those.`);
    } else if ((type === "rsa" || type === "rsa-pss" || type === "dsa") && (details.modulusLength ?? 0) < 2048) {
      problems.push(`${which} has a ${details.modulusLength}-bit ${type.toUpperCase()} key: the edge needs at least 2048 bits.`);
    } else if (type === "ec") {
      const bits = Number(/\d{3}/.exec(details.namedCurve ?? "")?.[0] ?? 0);
      if (bits && bits < 224) problems.push(`${which} has a ${bits}-bit EC key (${details.namedCurve}): the edge needs at least 224 bits.`);
    }
    const hash = WEAK_SIGNATURES[signatureOid(certificate) ?? ""];
    const selfSigned = certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey);
    if (hash && !selfSigned) {
      problems.push(`${which} is signed with ${hash}, which the edge refuses: ask the CA for a certificate signed with SHA-256.`);
    }
  });
  return problems;
}

/**
 * Why HAProxy would refuse a certificate file made of `chainPem` (leaf first, PEM) and `keyPem` (PEM private key), or
 * null when it loads: unreadable PEM, a key that does not match the leaf, or {@link edgeLoadProblems}. The agent leaves
 * such a certificate out (the hostname gets the default certificate) instead of letting it fail HAProxy's reload for
 * every environment of the node.
 */
export function certificateLoadRefusal(chainPem: string, keyPem: string): string | null {
  try {
    const blocks = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) return "no certificate in the chain";
    const chain = blocks.map((b) => new X509Certificate(b));
    const key = createPrivateKey(keyPem);
    if (!chain[0].checkPrivateKey(key)) return "the key does not match the certificate";
    const problems = edgeLoadProblems(chain);
    return problems.length ? problems.join(" ") : null;
  } catch (error) {
    return `unreadable: ${(error as Error).message}`;
  }
}
