import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { authSecret, resetSettings, settings } from "./index";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  resetSettings();
});

describe("settings", () => {
  it("has the embedded defaults of docs/product.md §6", () => {
    for (const key of [
      "DATA_DIR",
      "APP_URL",
      "EDGE_CNAME_SUFFIX",
      "EDGE_IPV4",
      "EDGE_IPV6",
      "DNS_SERVERS",
      "INVITE_TTL_HOURS",
      "ALLOW_PRIVATE_ORIGINS",
    ]) {
      delete process.env[key];
    }
    resetSettings();
    const s = settings();
    expect(s.dataDir).toBe(path.resolve("./data"));
    expect(s.appUrl).toBe("http://localhost:3000");
    expect(s.edgeCnameSuffix).toBe("edge.localhost");
    expect(s.edgeIpv4).toEqual(["192.0.2.10"]);
    expect(s.edgeIpv6).toEqual([]);
    expect(s.dnsServers).toEqual([]);
    expect(s.inviteTtlHours).toBe(48);
    expect(s.allowPrivateOrigins).toBe(false);
    expect(s.mailFrom).toBe("Edge Console <no-reply@localhost>");
  });

  it("reads lists and normalises the suffix and URL", () => {
    process.env.EDGE_IPV4 = "192.0.2.10, 192.0.2.11";
    process.env.EDGE_CNAME_SUFFIX = ".Edge.Example.NET.";
    process.env.APP_URL = "https://console.example.net/";
    process.env.DNS_SERVERS = "127.0.0.1:5353,127.0.0.2";
    resetSettings();
    expect(settings().edgeIpv4).toEqual(["192.0.2.10", "192.0.2.11"]);
    expect(settings().edgeCnameSuffix).toBe("edge.example.net");
    expect(settings().appUrl).toBe("https://console.example.net");
    expect(settings().dnsServers).toEqual(["127.0.0.1:5353", "127.0.0.2"]);
  });

  it("refuses a malformed edge address", () => {
    process.env.EDGE_IPV4 = "not-an-ip";
    resetSettings();
    expect(() => settings()).toThrow(/IPv4/);
  });

  it("generates AUTH_SECRET once into DATA_DIR and reuses it after a restart (SQLite: no DATABASE_URL)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-secret-"));
    const databaseUrl = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL; // only authSecret() reads it here
    delete process.env.AUTH_SECRET;
    process.env.DATA_DIR = dir;
    resetSettings();
    const first = authSecret();
    expect(first.length).toBeGreaterThanOrEqual(40);
    expect(fs.statSync(path.join(dir, "auth-secret")).mode & 0o777).toBe(0o600);
    resetSettings(); // a new process reads the same file
    expect(authSecret()).toBe(first);
    process.env.AUTH_SECRET = "from-the-environment";
    expect(authSecret()).toBe("from-the-environment");
    if (databaseUrl !== undefined) process.env.DATABASE_URL = databaseUrl;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("requires AUTH_SECRET when DATABASE_URL is set: a generated file would differ between machines", () => {
    const saved = { url: process.env.DATABASE_URL, secret: process.env.AUTH_SECRET };
    process.env.DATABASE_URL = "postgres://edge@db.invalid/edge";
    delete process.env.AUTH_SECRET;
    try {
      expect(() => authSecret()).toThrow(/AUTH_SECRET must be set when DATABASE_URL is set/);
      process.env.AUTH_SECRET = "shared-by-every-instance";
      expect(authSecret()).toBe("shared-by-every-instance");
    } finally {
      if (saved.url === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved.url;
      if (saved.secret === undefined) delete process.env.AUTH_SECRET;
      else process.env.AUTH_SECRET = saved.secret;
    }
  });
});
