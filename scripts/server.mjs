// The console's HTTP server: Next.js's own request handler behind a plain Node server, so that requests Next cannot
// route are answered before it sees them (docs/architecture.md, "Requests"). Today that is one case: a request path
// that is not valid percent-encoding (RFC 3986 §2.1, e.g. `/invite/%` or `/api/v1/%E0%A4%A`). Next answers those with
// a 500 when it decodes dynamic segments; here they get a 400 — `application/problem+json` under /api/v1 (the API's
// error format, RFC 9457), plain text elsewhere (git clients print it). Bodies are never read here, so git pushes
// and API bodies stream to their routes untouched.
//
// Its heap is capped (scripts/heap.mjs: CONSOLE_MAX_HEAP_MB, default 192 MiB): started without a
// --max-old-space-size, this script starts itself again with one (same flags, arguments and environment), passes
// SIGINT/SIGTERM on and exits with the server's code. `npm start` gives the flag directly, so only one server runs.
//
// Usage: node scripts/server.mjs [--port N] [--hostname H] (defaults: $PORT or 3000, $HOSTNAME or 127.0.0.1).
import { spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { logRequestWhenDone, processLogger, requestContext, requestIdFrom } from "../lib/log/core.mjs";
import { consoleHeapFlags } from "./heap.mjs";

let heapFlags;
try {
  heapFlags = consoleHeapFlags(process.env, process.execArgv);
} catch (error) {
  // A refusal to start is a sentence for the person starting it: on stderr, as a shell shows it, not a JSON line.
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
if (heapFlags.length > 0) {
  const child = spawn(process.execPath, [...process.execArgv, ...heapFlags, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await serve();
}

/** Runs Next's request handler behind the HTTP server until SIGINT/SIGTERM. */
async function serve() {
  const { default: next } = await import("next");

  const root = path.resolve(import.meta.dirname, "..");
  const arg = (name) => {
    const at = process.argv.indexOf(`--${name}`);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const port = Number(arg("port") ?? process.env.PORT ?? 3000);
  const hostname = arg("hostname") ?? process.env.HOSTNAME ?? "127.0.0.1";

  /** True when every segment of the request target's path decodes as UTF-8 percent-encoding. */
  function hasValidPathEncoding(target) {
    const pathname = (target ?? "/").split("?")[0].split("#")[0];
    try {
      for (const segment of pathname.split("/")) decodeURIComponent(segment);
      return true;
    } catch {
      return false;
    }
  }

  function answerMalformedPath(req, res) {
    const detail = "The request path is not valid percent-encoding (RFC 3986 §2.1): every % must start a %XX escape of UTF-8 bytes.";
    const api = (req.url ?? "").startsWith("/api/v1");
    const body = api
      ? JSON.stringify({
          type: "https://edge-console.dev/problems/malformed-path",
          title: "The request path is not valid",
          status: 400,
          detail,
          message: detail,
        })
      : `Bad request: ${detail}\n`;
    res.writeHead(400, {
      "Content-Type": api ? "application/problem+json" : "text/plain; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
      "Cache-Control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  const app = next({ dev: false, dir: root, hostname, port });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = http.createServer((req, res) => {
    if (!hasValidPathEncoding(req.url)) return answerMalformedPath(req, res);
    // Every line logged while Next handles the request carries its X-Request-Id (lib/log/core.mjs).
    const requestId = requestIdFrom(req.headers["x-request-id"]);
    const context = requestId ? { requestId } : {};
    logRequestWhenDone(req, res, context); // one access line per request, tokens out of the path
    return requestContext().run(context, () => handle(req, res));
  });
  server.listen(port, hostname, () => processLogger().info(`Edge Console listening on http://${hostname}:${port}`));
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"]) {
    // process.on, not once: the same signal often arrives twice (sent to the process group, and forwarded by the
    // parent, scripts/start.mjs), and a second one with no listener would kill the process mid-stop.
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      // No new connections; the requests in flight may finish (8 s at most): idle keep-alive connections are closed
      // now and as they become idle. Then the background work stops (5 s at most), and the process exits.
      const limit = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
      const drained = new Promise((resolve) => server.close(resolve));
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      server.closeIdleConnections();
      Promise.race([drained, limit(8_000)])
        .then(() => {
          clearInterval(idle);
          // instrumentation.ts's stop: background jobs, leader lock, LISTEN connection and pool.
          return Promise.race([globalThis.edgeConsoleStop?.() ?? Promise.resolve(), limit(5_000)]);
        })
        .catch((err) => processLogger().warn({ err }, "stopping the background work failed"))
        .finally(() => process.exit(0));
    });
  }
}
