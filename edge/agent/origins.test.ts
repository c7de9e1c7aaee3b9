import net from "node:net";
import { describe, expect, it } from "vitest";
import { isPublicAddress, originPort, refuseOriginAddress, type OwnEndpoints } from "./origins";

// docs/product.md §8 "Origins are checked where they are used" with the origin rules of §3.3.

const own: OwnEndpoints = { bindAddress: "127.0.0.2", publicPorts: [8080, 8443], internalPorts: () => new Set([20000, 20001, 20010]) };
const strict = { allowPrivate: false, edgeAddresses: ["192.0.2.10"], own };
const lax = { allowPrivate: true, edgeAddresses: ["192.0.2.10"], own };

describe("origin addresses", () => {
  it("tells public from loopback, private, link-local, unspecified and multicast", () => {
    expect(isPublicAddress("203.0.113.7")).toBe(false); // documentation range: reserved
    expect(isPublicAddress("8.8.8.8")).toBe(true);
    for (const a of ["127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.1.1", "0.0.0.0", "224.0.0.1", "::1", "fd00::1", "::ffff:127.0.0.1"]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
  });

  it("refuses private origins unless allowed, and the edge's own addresses always", () => {
    expect(refuseOriginAddress("10.0.0.5", 80, strict)).toMatch(/private/);
    expect(refuseOriginAddress("10.0.0.5", 80, lax)).toBeNull();
    expect(refuseOriginAddress("192.0.2.10", 80, lax)).toMatch(/edge itself/);
    expect(refuseOriginAddress("8.8.8.8", 443, strict)).toBeNull();
  });

  it("refuses the node's own ports even with private origins allowed", () => {
    expect(refuseOriginAddress("127.0.0.2", 8080, lax)).toMatch(/public port/);
    expect(refuseOriginAddress("127.0.0.1", 20010, lax)).toMatch(/internal port/);
    expect(refuseOriginAddress("127.0.0.1", 3000, lax)).toBeNull();
  });

  it("refuses the unspecified address on an internal port: a connection to 0.0.0.0 reaches loopback listeners", async () => {
    // The premise, on a real socket: a listener on 127.0.0.1 answers a connection made to 0.0.0.0.
    const server = net.createServer((socket) => socket.end("here"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, "0.0.0.0");
      let data = "";
      socket.on("data", (chunk) => (data += chunk));
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    await new Promise((resolve) => server.close(resolve));
    expect(answer).toBe("here");

    const withListener = { ...lax, own: { ...own, internalPorts: () => new Set([port]) } };
    expect(refuseOriginAddress("0.0.0.0", port, withListener)).toMatch(/internal port/);
    expect(refuseOriginAddress("::", port, withListener)).toMatch(/internal port/);
    expect(refuseOriginAddress("0.0.0.0", 20001, lax)).toMatch(/internal port/);
    expect(refuseOriginAddress("0.0.0.0", 3000, lax)).toBeNull();
  });

  it("defaults the port by protocol", () => {
    expect(originPort({})).toBe(80);
    expect(originPort({ protocol: "https" })).toBe(443);
    expect(originPort({ protocol: "https", port: 8443 })).toBe(8443);
  });
});
