// Node.js module starter: a pass-through HTTP proxy using only Node's core `http` module.
//
// Listens on PORT (default 80) and forwards every request to "next-hop" (the next module of the proxy chain, or
// the origin configured in section.config.json), streaming bodies both ways. Change `onRequest` / `onResponse`
// to rewrite what passes through.
//
// Settings (environment variables): HOST ("0.0.0.0"), PORT (80), NEXT_HOP_HOST ("next-hop"), NEXT_HOP_PORT (80).
// On the edge the platform sets them to its loopback ports (docs/product.md §8): listen where HOST and PORT say.

import http from "node:http";
import net from "node:net";

const HOST = process.env.HOST || "0.0.0.0";
const PORT = Number(process.env.PORT || 80);
const NEXT_HOP_HOST = process.env.NEXT_HOP_HOST || "next-hop";
const NEXT_HOP_PORT = Number(process.env.NEXT_HOP_PORT || 80);

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Copies headers without the hop-by-hop ones (including those named in the Connection header). */
function forwardable(headers) {
  const named = String(headers.connection || "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && !named.includes(name)) out[name] = value;
  }
  return out;
}

/** Hook: adjust the request headed to next-hop. */
function onRequest(req, headers) {
  const client = req.socket.remoteAddress || "";
  headers["x-forwarded-for"] = headers["x-forwarded-for"] ? `${headers["x-forwarded-for"]}, ${client}` : client;
  return headers;
}

/** Hook: adjust the response headed back to the visitor. */
function onResponse(upstream, headers) {
  return headers;
}

const server = http.createServer((req, res) => {
  const upstreamReq = http.request(
    {
      host: NEXT_HOP_HOST,
      port: NEXT_HOP_PORT,
      method: req.method,
      path: req.url,
      headers: onRequest(req, forwardable(req.headers)),
      agent,
    },
    (upstream) => {
      res.writeHead(upstream.statusCode || 502, upstream.statusMessage, onResponse(upstream, forwardable(upstream.headers)));
      upstream.pipe(res);
      upstream.on("error", () => res.destroy());
    },
  );

  upstreamReq.setTimeout(60_000, () => upstreamReq.destroy(new Error("next-hop timed out")));
  upstreamReq.on("error", (err) => {
    console.error(`${req.method} ${req.url}: ${err.message}`);
    if (!res.headersSent) {
      res.writeHead(502, { "content-type": "text/plain; charset=utf-8" });
      res.end("Bad gateway\n");
    } else {
      res.destroy();
    }
  });
  req.on("aborted", () => upstreamReq.destroy());
  req.pipe(upstreamReq);
});

// WebSocket (and other Upgrade) requests: replay the request head to next-hop, then relay bytes both ways.
server.on("upgrade", (req, socket, head) => {
  const upstream = net.connect(NEXT_HOP_PORT, NEXT_HOP_HOST, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on("error", () => socket.destroy());
  socket.on("error", () => upstream.destroy());
});

server.keepAliveTimeout = 65_000;
server.listen(PORT, HOST, () => {
  console.log(`pass-through proxy on :${server.address().port} -> ${NEXT_HOP_HOST}:${NEXT_HOP_PORT}`);
});

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
