import http from "node:http";
import type { AddressInfo } from "node:net";
import { handleEdgeReport, handleEdgeState } from "@/lib/edge/api";
import { handleMetricsPush } from "@/lib/traffic/push-api";

// The console's edge API (docs/edge.md "Desired state", "Metrics") on a loopback HTTP server calling the real route
// handlers, for tests and benchmarks that run real edge nodes against a console on a temporary database (HTTPS,
// purge, traffic). Never a product dependency.

const HANDLERS: Record<string, (request: Request) => Promise<Response>> = {
  "/api/edge/v1/state": handleEdgeState,
  "/api/edge/v1/report": handleEdgeReport,
  "/api/edge/v1/metrics": handleMetricsPush,
};

/** The console's edge routes (state, report, metrics) on an HTTP server; other paths get 404. Not listening yet. */
export function edgeConsoleServer(): http.Server {
  return http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const abort = new AbortController();
      res.on("close", () => !res.writableEnded && abort.abort());
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const handler = HANDLERS[url.pathname];
      if (!handler) return void res.writeHead(404).end();
      const response = await handler(
        new Request(url, {
          method: req.method,
          headers: req.headers as Record<string, string>,
          body: chunks.length ? Buffer.concat(chunks) : undefined,
          signal: abort.signal,
        }),
      );
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch(() => {
      // A handler that threw, or a client gone mid-answer: a 500 when nothing was sent yet, else just the end.
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}

/** Starts `server` on 127.0.0.1 (a free port); resolves to its `http://127.0.0.1:<port>` URL. */
export async function listenLoopback(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
