import { spawn } from "node:child_process";
import { Readable } from "node:stream";
import { gitEnv } from "@/lib/git";
import { log } from "@/lib/log";

// Runs git's own git-http-backend(1) as a CGI program (RFC 3875) for one request and streams both bodies: the
// request body into its standard input, its standard output (CGI headers, a blank line, the body) back as a Response.

/** One request for git-http-backend(1). Every field becomes a CGI variable; nothing else of the request reaches git. */
export type HttpBackendRequest = {
  /** GIT_PROJECT_ROOT: the folder holding the repositories (absolute). */
  projectRoot: string;
  /** PATH_INFO: `/<repoDir>/info/refs` or `/<repoDir>/git-upload-pack` … (built by the caller, never from the URL). */
  pathInfo: string;
  method: "GET" | "POST";
  /** QUERY_STRING, e.g. `service=git-upload-pack`. */
  queryString: string;
  contentType: string | null;
  /** Only when the client sent one; a chunked body has none and git reads to the end. */
  contentLength: string | null;
  /** HTTP_CONTENT_ENCODING: `gzip` bodies are inflated by git-http-backend itself. */
  contentEncoding: string | null;
  /** The `Git-Protocol` request header (e.g. `version=2`) → GIT_PROTOCOL (gitprotocol-v2(5)). */
  gitProtocol: string | null;
  /** REMOTE_USER: required by git for pushes (`http.receivepack` defaults to "only when authenticated"). */
  remoteUser: string;
  body: ReadableStream<Uint8Array> | null;
  /** `git -c key=value` settings for this run (e.g. `core.hooksPath`); propagate to receive-pack and its hooks. */
  config?: Record<string, string>;
  /** Extra variables for git and its hooks (never the console's own environment). */
  env?: Record<string, string>;
  /** Aborts the run (the client went away): the child is killed. */
  signal?: AbortSignal;
};

/** Largest CGI header block accepted from git (it writes a few short lines). */
const MAX_HEADER_BYTES = 16 * 1024;
/** Response headers git may send that must not be copied (hop-by-hop, or set by the server). */
const DROPPED_HEADERS = new Set(["status", "connection", "transfer-encoding", "keep-alive"]);
const GIT_PROTOCOL_VALUE = /^[A-Za-z0-9=:._-]{1,256}$/;

/** Splits a CGI header block (RFC 3875 §6.2) into a status and headers; `Status: 403 Forbidden` → 403. */
export function parseCgiHeaders(block: string): { status: number; headers: Headers } {
  const headers = new Headers();
  let status = 200;
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") {
      const code = Number(/^(\d{3})/.exec(value)?.[1]);
      if (code >= 200 && code <= 599) status = code;
    } else if (!DROPPED_HEADERS.has(name.toLowerCase())) {
      try {
        headers.append(name, value);
      } catch {
        // A header git would never send (invalid characters): drop it.
      }
    }
  }
  return { status, headers };
}

/** Index just past the blank line that ends the CGI headers (`\r\n\r\n` or `\n\n`), or -1. */
function headerEnd(buffer: Buffer): number {
  const crlf = buffer.indexOf("\r\n\r\n");
  const lf = buffer.indexOf("\n\n");
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return crlf + 4;
  return lf === -1 ? -1 : lf + 2;
}

function textResponse(status: number, message: string): Response {
  return new Response(`${message}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}

/**
 * Runs `git [-c k=v…] http-backend` (git-http-backend(1)) for one request with an explicit CGI environment
 * (GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL, PATH_INFO, QUERY_STRING, REQUEST_METHOD, CONTENT_TYPE, CONTENT_LENGTH,
 * HTTP_CONTENT_ENCODING, GIT_PROTOCOL, REMOTE_USER on top of `gitEnv()`; never the console's `process.env`).
 * Resolves once git has written its headers, with a Response whose body streams the rest (with back-pressure).
 * A git that cannot start or ends without headers gives a 503 text response; never rejects.
 */
export function runHttpBackend(request: HttpBackendRequest): Promise<Response> {
  const env = gitEnv({
    ...request.env,
    GIT_PROJECT_ROOT: request.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: request.pathInfo,
    QUERY_STRING: request.queryString,
    REQUEST_METHOD: request.method,
    REMOTE_USER: request.remoteUser,
    ...(request.contentType ? { CONTENT_TYPE: request.contentType } : {}),
    ...(request.contentLength && /^\d{1,15}$/.test(request.contentLength) ? { CONTENT_LENGTH: request.contentLength } : {}),
    ...(request.contentEncoding ? { HTTP_CONTENT_ENCODING: request.contentEncoding } : {}),
    ...(request.gitProtocol && GIT_PROTOCOL_VALUE.test(request.gitProtocol) ? { GIT_PROTOCOL: request.gitProtocol } : {}),
  });
  const configArgs = Object.entries(request.config ?? {}).flatMap(([key, value]) => ["-c", `${key}=${value}`]);

  return new Promise<Response>((resolve) => {
    let settled = false;
    const settle = (response: Response) => {
      if (!settled) {
        settled = true;
        resolve(response);
      }
    };
    const child = spawn("git", [...configArgs, "http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
    const onAbort = () => child.kill("SIGTERM");
    request.signal?.addEventListener("abort", onAbort, { once: true });

    const stderr: Buffer[] = [];
    let stderrBytes = 0;
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderrBytes < 8192) stderr.push(chunk);
      stderrBytes += chunk.length;
    });

    let controller!: ReadableStreamDefaultController<Uint8Array>;
    let bodyOpen = true;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          controller = c;
        },
        pull: () => {
          child.stdout.resume();
        },
        cancel: () => {
          bodyOpen = false;
          child.kill("SIGTERM");
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 256 * 1024 }),
    );
    let head: Buffer | null = Buffer.alloc(0);
    const enqueue = (chunk: Buffer) => {
      if (!bodyOpen || chunk.length === 0) return;
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if ((controller.desiredSize ?? 1) <= 0) child.stdout.pause();
    };

    child.stdout.on("data", (chunk: Buffer) => {
      if (head === null) return enqueue(chunk);
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (end === -1) {
        if (head.length > MAX_HEADER_BYTES) {
          head = Buffer.alloc(0);
          bodyOpen = false;
          child.kill("SIGTERM");
          settle(textResponse(503, "The git service sent an invalid response."));
        }
        return;
      }
      const { status, headers } = parseCgiHeaders(head.subarray(0, end).toString("latin1"));
      const rest = head.subarray(end);
      head = null;
      headers.set("cache-control", headers.get("cache-control") ?? "no-cache, max-age=0, must-revalidate");
      if (status === 204 || status === 205 || status === 304) {
        // Statuses that carry no body (a Response with one would throw).
        bodyOpen = false;
        settle(new Response(null, { status, headers }));
        return;
      }
      settle(new Response(body, { status, headers }));
      enqueue(rest);
    });
    child.stdout.on("end", () => {
      if (head !== null) settle(textResponse(503, "The git service ended without an answer."));
      if (bodyOpen) {
        bodyOpen = false;
        try {
          controller.close();
        } catch {
          // Already cancelled by the reader.
        }
      }
    });
    child.on("error", (error) => {
      log.error({ err: error }, "git http-backend could not start");
      settle(textResponse(503, "The git service is unavailable right now. Try again later."));
      if (bodyOpen) {
        bodyOpen = false;
        controller.error(error);
      }
    });
    child.on("close", (code, signal) => {
      request.signal?.removeEventListener("abort", onAbort);
      if (code !== 0 && !request.signal?.aborted) {
        const message = Buffer.concat(stderr).toString("utf8").trim();
        log.error(`git http-backend ${request.method} ${request.pathInfo} exited ${code ?? signal}${message ? `: ${message}` : ""}`);
      }
    });

    child.stdin.on("error", () => {
      // git stopped reading (it answered an error early): its exit status tells the rest.
    });
    if (request.body) {
      const input = Readable.fromWeb(request.body as import("node:stream/web").ReadableStream<Uint8Array>);
      input.on("error", () => {
        child.stdin.end();
        child.kill("SIGTERM");
      });
      input.pipe(child.stdin);
    } else {
      child.stdin.end();
    }
  });
}
