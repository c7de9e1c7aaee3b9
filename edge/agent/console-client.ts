import http from "node:http";
import https from "node:https";

// The agent's two calls to the console (docs/edge.md "Desired state": GET /api/edge/v1/state and
// POST /api/edge/v1/report) over node:http / node:https rather than fetch: fetch loads undici, about 9 MB more
// resident memory in an agent that makes one request at a time.

/** Largest answer body read (bytes): a full desired state with thousands of environments fits. */
const MAX_BODY = 256 * 1024 * 1024;

/** The console's answer: HTTP status and the body as UTF-8 text. */
export type ConsoleAnswer = { status: number; text: string };

/**
 * One request to the console at `url` with the node token as `Authorization: Bearer`, and `body` (JSON text) for a
 * POST. Resolves to the status and body of any answer; rejects on a network error, after `timeoutMs` without the
 * whole answer, when `signal` aborts, or for a body over 256 MiB.
 */
export function consoleRequest(
  url: URL,
  options: { token: string; body?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<ConsoleAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${options.token}`, accept: "application/json" };
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(options.body);
    }
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(url, { method: options.body === undefined ? "GET" : "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) req.destroy(new Error(`the console's answer is larger than ${MAX_BODY} bytes`));
        else chunks.push(chunk);
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
      });
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("the console closed the connection mid-answer")));
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    const abort = () => req.destroy(new Error("aborted"));
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener("abort", abort, { once: true });
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on("close", () => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", abort);
    });
    req.end(options.body);
  });
}
