import Ajv2020, { type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { expect, type APIRequestContext, type APIResponse } from "@playwright/test";

// The e2e suite's client of REST API v1: every response it receives is checked against the OpenAPI document the
// console serves (status documented for that operation, content type, body validated with ajv against the
// schema) — so the document is held to describe exactly what the API answers.

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: unknown;
};

export type ApiCall = { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; sectionToken?: boolean };
// The body has been validated against the document; tests read its fields freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiAnswer = { status: number; body: any; headers: Record<string, string>; contentType: string };

/** Rewrites local `#/components/…` refs to the document registered in ajv as `api`. */
function rebase(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"api#/components/'));
}

export class ApiClient {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly templates: { pattern: RegExp; path: string }[];
  /** Responses checked against the document, per `METHOD template status` (for the coverage summary). */
  readonly seen = new Set<string>();

  constructor(
    private readonly request: APIRequestContext,
    readonly doc: Doc,
  ) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: "api", components: doc.components } as object);
    this.templates = Object.keys(doc.paths).map((path) => ({
      path,
      pattern: new RegExp("^" + path.replace(/\{[^}]+\}/g, "[^/]+") + "/?$"),
    }));
  }

  /** The documented path template of a request path below /api/v1 with this method (fewest parameters wins), or null. */
  template(path: string, method: string): string | null {
    const params = (p: string) => p.match(/\{/g)?.length ?? 0;
    const found = this.templates.filter((t) => t.pattern.test(path) && this.doc.paths[t.path][method.toLowerCase()]);
    found.sort((a, b) => params(a.path) - params(b.path));
    return found[0]?.path ?? null;
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(rebase(schema) as object);
      this.validators.set(key, v);
    }
    return v;
  }

  /** Sends a request to `/api/v1<path>` and checks the response against the document. */
  async call(method: string, path: string, call: ApiCall = {}): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...call.headers };
    if (call.token)
      headers[call.sectionToken ? "section-token" : "authorization"] = call.sectionToken ? call.token : `Bearer ${call.token}`;
    let data: string | Buffer | undefined;
    // As bytes: Playwright would re-encode a string that is not valid JSON as a JSON string.
    if (call.raw !== undefined) data = Buffer.from(call.raw);
    else if (call.body !== undefined) {
      data = JSON.stringify(call.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await this.request.fetch(`/api/v1${path}`, { method, headers, data, maxRedirects: 0 });
    const answer = await this.check(method, path, res);
    return answer;
  }

  /** Checks a response obtained directly from the request context against the document. */
  async check(method: string, path: string, res: APIResponse): Promise<ApiAnswer> {
    const status = res.status();
    const headers = res.headers();
    const contentType = (headers["content-type"] ?? "").split(";")[0];
    const text = await res.text();
    const body = text ? JSON.parse(text) : null;
    const where = `${method} ${path} → ${status} ${text.slice(0, 300)}`;
    expect(status, where).not.toBe(500);
    const template = this.template(path.split("?")[0], method);
    if (!template) {
      // Not an operation of the document (a wrong path or method): a problem+json 404/405.
      expect([404, 405], where).toContain(status);
      expect(contentType, where).toBe("application/problem+json");
      const v = this.validator("Problem", { $ref: "#/components/schemas/Problem" });
      expect(v(body), `${where}\n${JSON.stringify(v.errors)}`).toBe(true);
      return { status, body, headers, contentType };
    }
    const op = this.doc.paths[template][method.toLowerCase()];
    const spec = op.responses[String(status)];
    expect(spec, `${where}: status not documented for ${method} ${template}`).toBeDefined();
    this.seen.add(`${method.toUpperCase()} ${template} ${status}`);
    if (!spec.content) {
      expect(text, where).toBe("");
      return { status, body, headers, contentType };
    }
    const [documentedType, media] = Object.entries(spec.content)[0];
    expect(contentType, where).toBe(documentedType);
    const v = this.validator(`${method} ${template} ${status}`, media.schema);
    expect(v(body), `${where}\n${JSON.stringify(v.errors)}`).toBe(true);
    return { status, body, headers, contentType };
  }
}
