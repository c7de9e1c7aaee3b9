import { describe, expect, it } from "vitest";
import { readSettings, SettingsError } from "./settings";

// docs/product.md §8 "Agent settings": defaults, and one clear line for each bad value.

const TOKEN = "en_" + "a".repeat(43);

function refused(env: Record<string, string>): string {
  try {
    readSettings({ EDGE_NODE_TOKEN: TOKEN, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message;
  }
  throw new Error("accepted");
}

describe("edge agent settings", () => {
  it("has the documented defaults", () => {
    const s = readSettings({ EDGE_NODE_TOKEN: TOKEN });
    expect(s.consoleUrl.href).toBe("http://127.0.0.1:3000/");
    expect(s).toMatchObject({ bindAddress: null, httpPort: 80, httpsPort: 443, dnsServers: [], metricsFlushSeconds: 60 });
    expect(s).toMatchObject({ internalPortBase: 20000, internalAddress: "127.0.0.1", keepProxies: false });
    expect(s.stateDir).toMatch(/edge-state$/);
  });

  it("says how to get a token when EDGE_NODE_TOKEN is missing", () => {
    expect(() => readSettings({})).toThrow(/npm run edge:token -- add <name>/);
  });

  it("refuses plain http to another machine unless EDGE_INSECURE_CONSOLE=true", () => {
    expect(refused({ CONSOLE_URL: "http://console.example.com" })).toMatch(/plain http/);
    expect(
      readSettings({ EDGE_NODE_TOKEN: TOKEN, CONSOLE_URL: "http://console.example.com", EDGE_INSECURE_CONSOLE: "true" }).consoleUrl.host,
    ).toBe("console.example.com");
    expect(readSettings({ EDGE_NODE_TOKEN: TOKEN, CONSOLE_URL: "https://console.example.com" }).consoleUrl.protocol).toBe("https:");
  });

  it("names the setting of a bad value", () => {
    expect(refused({ EDGE_HTTP_PORT: "80a" })).toMatch(/^EDGE_HTTP_PORT/);
    expect(refused({ EDGE_HTTPS_PORT: "70000" })).toMatch(/^EDGE_HTTPS_PORT/);
    expect(refused({ EDGE_BIND_ADDRESS: "edge.example" })).toMatch(/^EDGE_BIND_ADDRESS/);
    expect(refused({ EDGE_DNS_SERVERS: "dns.example" })).toMatch(/^EDGE_DNS_SERVERS/);
    expect(refused({ EDGE_INTERNAL_ADDRESS: "10.0.0.1" })).toMatch(/^EDGE_INTERNAL_ADDRESS/);
    expect(refused({ EDGE_METRICS_FLUSH_SECONDS: "0" })).toMatch(/^EDGE_METRICS_FLUSH_SECONDS/);
    for (const bad of ["0", "-1", "4k", "2000000000"])
      expect(refused({ EDGE_METRICS_RECEIVE_BUFFER_BYTES: bad })).toMatch(/^EDGE_METRICS_RECEIVE_BUFFER_BYTES must be a whole number/);
    expect(refused({ EDGE_KEEP_PROXIES: "maybe" })).toMatch(/^EDGE_KEEP_PROXIES/);
  });

  it("reads DNS servers with ports and the keep-proxies switch", () => {
    const s = readSettings({ EDGE_NODE_TOKEN: TOKEN, EDGE_DNS_SERVERS: "127.0.0.1:5353, [::1]:53 9.9.9.9", EDGE_KEEP_PROXIES: "true" });
    expect(s.dnsServers).toEqual(["127.0.0.1:5353", "[::1]:53", "9.9.9.9"]);
    expect(s.keepProxies).toBe(true);
    expect(readSettings({ EDGE_NODE_TOKEN: TOKEN }, ["--keep-proxies"]).keepProxies).toBe(true);
  });
});
