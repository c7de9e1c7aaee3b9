import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request an origin received: method, path with query, and its headers (lower-case names). */
export type OriginRequest = { method: string; url: string; headers: http.IncomingHttpHeaders };

/** A running origin (see `startOrigin`). */
export type TestOrigin = {
  /** The loopback address it listens on. */
  address: string;
  port: number;
  /** Every request received so far, oldest first. */
  requests: OriginRequest[];
  /** Closes the listener and every open connection; requests after that find nothing listening. */
  stop(): Promise<void>;
};

/**
 * A customer's origin for the edge journeys: a plain HTTP/1.1 server on 127.0.0.1 (a free port unless `port` is given)
 * that answers every request 200 with its own body, `origin <name> answered <path> (request n)`, cacheable for 5
 * minutes (`Cache-Control: public, max-age=300`), and records each request (so a spec can count what reached it and
 * see the headers the edge sent, e.g. `X-Edge-Secret`, docs/product.md §8 "Response headers").
 */
export async function startOrigin(name: string, port = 0): Promise<TestOrigin> {
  const requests: OriginRequest[] = [];
  const server = http.createServer((request, response) => {
    requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers });
    const body = `origin ${name} answered ${request.url} (request ${requests.length})\n`;
    response.writeHead(200, {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "public, max-age=300",
      "content-length": Buffer.byteLength(body),
    });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    address: address.address,
    port: address.port,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
