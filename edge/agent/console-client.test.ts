import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleRequest } from "./console-client";

// The agent's console client (docs/edge.md "Desired state") against a real HTTP server on loopback.

describe("consoleRequest", () => {
  const seen: { method: string; url: string; auth: string; type: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        auth: req.headers.authorization ?? "",
        type: req.headers["content-type"] ?? "",
        body,
      });
      if (req.url?.startsWith("/slow")) return; // never answers
      if (req.url?.startsWith("/report")) return void res.writeHead(204).end();
      res.writeHead(req.url?.startsWith("/gone") ? 401 : 200, { "content-type": "application/json" }).end('{"version":7,"é":"ü"}');
    });
  });
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it("GETs with the node token and returns status and UTF-8 text; any status resolves", async () => {
    expect(await consoleRequest(new URL("/state?since=3", base), { token: "en_x", timeoutMs: 5000 })).toEqual({
      status: 200,
      text: '{"version":7,"é":"ü"}',
    });
    expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/state?since=3", auth: "Bearer en_x", body: "" });
    expect((await consoleRequest(new URL("/gone", base), { token: "en_x", timeoutMs: 5000 })).status).toBe(401);
  });

  it("POSTs a JSON body", async () => {
    const r = await consoleRequest(new URL("/report", base), { token: "en_y", body: '{"version":1}', timeoutMs: 5000 });
    expect(r).toEqual({ status: 204, text: "" });
    expect(seen.at(-1)).toMatchObject({ method: "POST", auth: "Bearer en_y", type: "application/json", body: '{"version":1}' });
  });

  it("rejects after the timeout, when aborted, and when nothing listens", async () => {
    await expect(consoleRequest(new URL("/slow", base), { token: "en_x", timeoutMs: 300 })).rejects.toThrow(/no answer within 0.3 s/);
    const abort = new AbortController();
    const pending = consoleRequest(new URL("/slow", base), { token: "en_x", timeoutMs: 5000, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    await expect(pending).rejects.toThrow(/aborted/);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(consoleRequest(new URL(`http://127.0.0.1:${port}/`), { token: "en_x", timeoutMs: 5000 })).rejects.toThrow(/ECONNREFUSED/);
  });
});
