import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { handleGitHookRequest, handleGitHttpRequest } from "@/lib/git-http";

/**
 * A plain node HTTP server on 127.0.0.1 that mounts the console's git handlers the way the Next routes do
 * (`/git/…` → handleGitHttpRequest, `/api/internal/git/<hook>` → handleGitHookRequest), for integration tests and
 * the clone benchmark without building the console. Requests and responses are streamed both ways.
 */
export async function startGitHttpServer(
  options: { port?: number } = {},
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  let hookBaseUrl = "";
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
        else if (value !== undefined) headers.set(name, value);
      }
      const controller = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) controller.abort();
      });
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(url, {
        method: req.method,
        headers,
        body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
        signal: controller.signal,
        ...(hasBody ? { duplex: "half" } : {}),
      } as RequestInit);
      const hook = /^\/api\/internal\/git\/([^/]+)$/.exec(url.pathname);
      const response = hook
        ? await handleGitHookRequest(request, hook[1])
        : url.pathname.startsWith("/git/")
          ? await handleGitHttpRequest(request, { hookBaseUrl })
          : new Response("Not found.\n", { status: 404 });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (!response.body) return void res.end();
      Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>).pipe(res);
    } catch (error) {
      console.error("test git server", error);
      res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  hookBaseUrl = `http://127.0.0.1:${port}/api/internal/git`;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
