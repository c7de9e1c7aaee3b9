import { describe, expect, it } from "vitest";
import { isJsonMediaType, jsonDepthExceeds, MAX_BODY_BYTES, MAX_BODY_DEPTH, readJsonBody } from "./body";
import { ApiProblem } from "./problem";

/** A POST whose body arrives as a stream of `chunks` (no Content-Length: chunked transfer). */
function streamed(chunks: string[], headers: Record<string, string> = { "content-type": "application/json" }): Request {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
  return new Request("http://localhost/api/v1/x", { method: "POST", headers, body, duplex: "half" } as RequestInit);
}

async function problemOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiProblem) return error.kind;
    throw error;
  }
  return "none";
}

describe("readJsonBody", () => {
  it("parses JSON sent in chunks", async () => {
    expect(await readJsonBody(streamed(['{"hostname":', ' "www.example.com"}']))).toEqual({ hostname: "www.example.com" });
  });

  it("counts the stream itself: a body over the limit without Content-Length is refused", async () => {
    const chunk = "x".repeat(16 * 1024);
    expect(await problemOf(readJsonBody(streamed(['{"a":"', chunk, chunk, chunk, chunk, '"}'])))).toBe("body-too-large");
    expect(await problemOf(readJsonBody(streamed(['{"a":"', "x".repeat(MAX_BODY_BYTES - 10), '"}'])))).toBe("none");
  });

  it("refuses a declared Content-Length over the limit before reading", async () => {
    const request = new Request("http://localhost/", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(MAX_BODY_BYTES + 1) },
      body: "{}",
    });
    expect(await problemOf(readJsonBody(request))).toBe("body-too-large");
  });

  it("refuses malformed JSON, an empty body, bytes that are not UTF-8, and other media types", async () => {
    expect(await problemOf(readJsonBody(streamed(['{"a":'])))).toBe("malformed-json");
    expect(await problemOf(readJsonBody(streamed([])))).toBe("malformed-json");
    const latin1 = new Request("http://localhost/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array([0x22, 0xe9, 0x22]),
    });
    expect(await problemOf(readJsonBody(latin1))).toBe("malformed-json");
    expect(await problemOf(readJsonBody(streamed(["{}"], { "content-type": "text/plain" })))).toBe("unsupported-media-type");
  });

  it("with `optional`, no Content-Type and no bytes is no body; bytes without a JSON type are still refused", async () => {
    expect(await readJsonBody(streamed([], {}), undefined, { optional: true })).toBeUndefined();
    expect(await problemOf(readJsonBody(streamed(["{}"], {}), undefined, { optional: true }))).toBe("unsupported-media-type");
    expect(await readJsonBody(streamed(["{}"]), undefined, { optional: true })).toEqual({});
  });

  it("accepts application/json and +json media types", () => {
    expect(isJsonMediaType("application/json; charset=utf-8")).toBe(true);
    expect(isJsonMediaType("application/json-patch+json")).toBe(true);
    expect(isJsonMediaType("application/x-www-form-urlencoded")).toBe(false);
    expect(isJsonMediaType(null)).toBe(false);
  });

  it("refuses a body nested deeper than 64 levels before parsing it (body-too-deep); brackets in strings do not count", async () => {
    const deep = (n: number) => '{"op":"add","path":"/x","value":' + "[".repeat(n) + "]".repeat(n) + "}";
    expect(await problemOf(readJsonBody(streamed([deep(20000)])))).toBe("body-too-deep");
    expect(await problemOf(readJsonBody(streamed([deep(MAX_BODY_DEPTH)])))).toBe("body-too-deep");
    expect(await readJsonBody(streamed([deep(MAX_BODY_DEPTH - 1)]))).toMatchObject({ op: "add" });
    expect(jsonDepthExceeds(JSON.stringify({ a: "[".repeat(100) + '\\"{{{' }), 2)).toBe(false);
    expect(jsonDepthExceeds("[[[]]]", 2)).toBe(true);
  });
});
