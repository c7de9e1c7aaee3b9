import { ApiProblem } from "./problem";

/** Largest request body the API reads, in bytes (a JSON Patch or a create request is far smaller). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Deepest nesting of arrays and objects the API reads in a body (a configuration or a patch needs far less). */
export const MAX_BODY_DEPTH = 64;

/**
 * True when JSON `text` nests arrays/objects deeper than `max` levels, found by one pass over the text (brackets
 * inside strings do not count) without parsing it, so a hostile 20 000-deep value never reaches a recursive step.
 */
export function jsonDepthExceeds(text: string, max = MAX_BODY_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** True for `application/json` and any `+json` media type (RFC 6839), e.g. `application/json-patch+json`. */
export function isJsonMediaType(contentType: string | null): boolean {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Reads and parses a JSON request body of at most `limit` bytes. The stream itself is counted (a missing or
 * lying `Content-Length` does not help), and reading stops at the limit. Problems: `unsupported-media-type` (not
 * JSON), `body-too-large`, `malformed-json` (not UTF-8 JSON, or empty), `body-too-deep` (nested more than
 * MAX_BODY_DEPTH levels, refused before parsing). Returns the parsed value. With `optional`,
 * a request without Content-Type and without a body gives `undefined`.
 */
export async function readJsonBody(request: Request, limit = MAX_BODY_BYTES, options: { optional?: boolean } = {}): Promise<unknown> {
  const contentType = request.headers.get("content-type");
  const mayBeAbsent = options.optional === true && !contentType;
  if (!mayBeAbsent && !isJsonMediaType(contentType)) {
    throw new ApiProblem("unsupported-media-type", "Send the body as JSON with Content-Type: application/json.");
  }
  const tooLarge = () => new ApiProblem("body-too-large", `The request body is larger than ${limit / 1024} KiB.`);
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ApiProblem("malformed-json", "The request body is not UTF-8 text.");
  }
  if (mayBeAbsent) {
    if (size === 0) return undefined;
    throw new ApiProblem("unsupported-media-type", "Send the body as JSON with Content-Type: application/json.");
  }
  if (!text.trim()) throw new ApiProblem("malformed-json", "The request body is empty: send a JSON document.");
  if (jsonDepthExceeds(text))
    throw new ApiProblem("body-too-deep", `The request body nests arrays and objects more than ${MAX_BODY_DEPTH} levels deep.`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiProblem("malformed-json", `The request body is not valid JSON: ${(error as Error).message}`);
  }
}
