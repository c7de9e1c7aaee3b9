import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTool } from "@/edge/modules/tools";
import { checkOwnCertificate, nameCovers, pemBlocks } from "./certificate";
import { makeTestPki, type TestPki } from "./test-pki";

// Own-certificate checks (docs/product.md §9) on certificates made by openssl in this test.
let pki: TestPki;
let root: string;
let intermediate: string;
let leaf: string;
let leafKey: string;
let wildcard: string;
let wildcardKey: string;

beforeAll(() => {
  if (!haveTool("openssl") && process.env.CI !== "true") return;
  pki = makeTestPki();
  root = pki.ca("Test Root");
  intermediate = pki.issue("Test Intermediate", "Test Root", [], { ca: true });
  leaf = pki.issue("shop", "Test Intermediate", ["shop.example.com", "www.shop.example.com"]);
  leafKey = pki.read("shop.key");
  wildcard = pki.issue("wild", "Test Intermediate", ["*.example.com"]);
  wildcardKey = pki.read("wild.key");
});
afterAll(() => pki?.remove());

const fields = (r: ReturnType<typeof checkOwnCertificate>) => (r.ok ? [] : r.errors);

describe.skipIf(!haveTool("openssl") && process.env.CI !== "true")(
  "checkOwnCertificate (needs openssl to make the test certificates)",
  () => {
    it("accepts a matching chain and key and returns the facts, the chain leaf first and the key as PKCS#8", () => {
      const r = checkOwnCertificate({ hostname: "shop.example.com", chainText: leaf + intermediate, keyText: leafKey });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const blocks = pemBlocks(r.certificate.chainPem);
      expect(blocks).toHaveLength(2);
      expect(new X509Certificate(blocks[0]).subject).toContain("CN=shop.example.com");
      expect(r.certificate.facts.issuer).toBe("Test Intermediate");
      expect(r.certificate.facts.sans).toEqual(["shop.example.com", "www.shop.example.com"]);
      expect(r.certificate.facts.serial).toMatch(/^[0-9A-F]+$/);
      expect(r.certificate.facts.notAfter.getTime()).toBeGreaterThan(Date.now() + 29 * 86400_000);
      expect(r.certificate.keyPem).toContain("-----BEGIN PRIVATE KEY-----");
    });

    it("puts a chain pasted in reverse order (root, intermediate, leaf) leaf first", () => {
      const r = checkOwnCertificate({ hostname: "www.shop.example.com", chainText: root + intermediate + leaf, keyText: leafKey });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const subjects = pemBlocks(r.certificate.chainPem).map((b) => new X509Certificate(b).subject);
      expect(subjects).toEqual(["CN=shop.example.com", "CN=Test Intermediate", "CN=Test Root"]);
    });

    it("refuses a key that belongs to another certificate", () => {
      expect(fields(checkOwnCertificate({ hostname: "shop.example.com", chainText: leaf, keyText: wildcardKey }))).toEqual([
        { field: "private_key", message: "The private key does not match the certificate: it belongs to another certificate." },
      ]);
    });

    it("refuses a certificate that does not cover the hostname, naming what it covers", () => {
      expect(fields(checkOwnCertificate({ hostname: "blog.example.com", chainText: leaf, keyText: leafKey }))).toEqual([
        { field: "public_certificates", message: "The certificate covers shop.example.com, www.shop.example.com, not blog.example.com." },
      ]);
    });

    it("counts a wildcard SAN for one label only", () => {
      expect(checkOwnCertificate({ hostname: "blog.example.com", chainText: wildcard, keyText: wildcardKey }).ok).toBe(true);
      expect(fields(checkOwnCertificate({ hostname: "a.b.example.com", chainText: wildcard, keyText: wildcardKey }))[0]?.message).toBe(
        "The certificate covers *.example.com, not a.b.example.com.",
      );
      expect(checkOwnCertificate({ hostname: "example.com", chainText: wildcard, keyText: wildcardKey }).ok).toBe(false);
    });

    it("refuses an expired certificate and one not valid yet, with the date", () => {
      const late = new Date(Date.now() + 40 * 86400_000);
      const expired = fields(checkOwnCertificate({ hostname: "shop.example.com", chainText: leaf, keyText: leafKey, now: late }));
      expect(expired).toHaveLength(1);
      expect(expired[0].message).toMatch(/^The certificate expired on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.$/);
      const early = fields(checkOwnCertificate({ hostname: "shop.example.com", chainText: leaf, keyText: leafKey, now: new Date(0) }));
      expect(early[0].message).toMatch(/^The certificate is not valid before /);
    });

    it("refuses garbage, an empty field and an encrypted key, each on its field", () => {
      expect(fields(checkOwnCertificate({ hostname: "shop.example.com", chainText: "hello", keyText: leafKey }))[0]).toEqual({
        field: "public_certificates",
        message: expect.stringMatching(/^No certificate found/),
      });
      const broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
      expect(fields(checkOwnCertificate({ hostname: "shop.example.com", chainText: broken, keyText: leafKey }))[0].message).toBe(
        "Certificate 1 of the chain cannot be read: it is not a valid X.509 certificate.",
      );
      expect(fields(checkOwnCertificate({ hostname: "shop.example.com", chainText: leaf, keyText: "" }))[0]).toEqual({
        field: "private_key",
        message: expect.stringMatching(/^No private key found/),
      });
      pki.openssl(["pkey", "-in", "shop.key", "-aes256", "-passout", "pass:secret", "-out", "enc.key"]);
      expect(
        fields(checkOwnCertificate({ hostname: "shop.example.com", chainText: leaf, keyText: pki.read("enc.key") }))[0].message,
      ).toMatch(/^The private key is encrypted/);
      const badKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
      expect(fields(checkOwnCertificate({ hostname: "shop.example.com", chainText: leaf, keyText: badKey }))[0].message).toBe(
        "The private key cannot be read: it is not a valid PEM private key.",
      );
    });

    it("refuses what the nodes' HAProxy would not load: an RSA key under 2048 bits, a SHA-1 signature", () => {
      const ext = "subjectAltName=DNS:weak.example.com\n";
      pki.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "weak.key"]);
      pki.openssl(["req", "-new", "-key", "weak.key", "-subj", "/CN=weak.example.com", "-out", "weak.csr"]);
      fs.writeFileSync(path.join(pki.dir, "weak.ext"), ext);
      const sign = (name: string, key: string, digest: string) => {
        if (key !== "weak.key") pki.openssl(["req", "-new", "-key", key, "-subj", "/CN=weak.example.com", "-out", "weak.csr"]);
        pki.openssl(
          ["x509", "-req", "-in", "weak.csr", "-CA", "Test Intermediate.crt", "-CAkey", "Test Intermediate.key"].concat([
            "-CAcreateserial",
            `-${digest}`,
            "-days",
            "30",
            "-extfile",
            "weak.ext",
            "-out",
            name,
          ]),
        );
        return pki.read(name);
      };
      const rsa1024 = sign("rsa1024.crt", "weak.key", "sha256");
      expect(
        fields(checkOwnCertificate({ hostname: "weak.example.com", chainText: rsa1024 + intermediate, keyText: pki.read("weak.key") })),
      ).toEqual([
        {
          field: "public_certificates",
          message: "Certificate 1 of the chain (weak.example.com) has a 1024-bit RSA key: the edge needs at least 2048 bits.",
        },
      ]);
      const sha1 = sign("sha1.crt", "shop.key", "sha1");
      expect(fields(checkOwnCertificate({ hostname: "weak.example.com", chainText: sha1 + intermediate, keyText: leafKey }))).toEqual([
        {
          field: "public_certificates",
          message:
            "Certificate 1 of the chain (weak.example.com) is signed with SHA-1, which the edge refuses: ask the CA for a certificate signed with SHA-256.",
        },
      ]);
      pki.openssl(["genpkey", "-algorithm", "ED25519", "-out", "ed.key"]);
      const ed25519 = sign("ed.crt", "ed.key", "sha256");
      expect(
        fields(checkOwnCertificate({ hostname: "weak.example.com", chainText: ed25519 + intermediate, keyText: pki.read("ed.key") })),
      ).toEqual([
        {
          field: "public_certificates",
          message:
            "Certificate 1 of the chain (weak.example.com) has an Ed25519 key: browsers accept RSA and ECDSA P-256, P-384 or P-521 certificates; ask the CA for one of those.",
        },
      ]);
      const sha256 = sign("sha256.crt", "shop.key", "sha256");
      expect(checkOwnCertificate({ hostname: "weak.example.com", chainText: sha256 + intermediate, keyText: leafKey }).ok).toBe(true);
    });

    it("refuses a certificate in the chain that is not the leaf's issuer", () => {
      const other = pki.ca("Other Root");
      const errors = fields(
        checkOwnCertificate({ hostname: "shop.example.com", chainText: leaf + other + intermediate, keyText: leafKey }),
      );
      expect(errors).toEqual([{ field: "public_certificates", message: expect.stringContaining("Other Root") }]);
    });
  },
);

describe("nameCovers (RFC 6125 §6.4.3)", () => {
  it("matches exact names ignoring case and a trailing dot", () => {
    expect(nameCovers("Shop.Example.com.", "shop.example.com")).toBe(true);
    expect(nameCovers("shop.example.com", "www.shop.example.com")).toBe(false);
  });
  it("lets a wildcard stand for one whole left-most label, never over a public suffix", () => {
    expect(nameCovers("*.example.com", "a.example.com")).toBe(true);
    expect(nameCovers("*.example.com", "a.b.example.com")).toBe(false);
    expect(nameCovers("*.example.com", "example.com")).toBe(false);
    expect(nameCovers("*.co.uk", "example.co.uk")).toBe(false);
    expect(nameCovers("*.com", "example.com")).toBe(false);
    expect(nameCovers("w*.example.com", "www.example.com")).toBe(false);
    expect(nameCovers("a.*.example.com", "a.b.example.com")).toBe(false);
  });
});
