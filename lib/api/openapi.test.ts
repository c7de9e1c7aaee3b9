import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it, vi } from "vitest";
import { buildOpenApiDocument, documentedProblems } from "./openapi";
import { operations } from "./operations";
import { PROBLEMS, type ProblemKind } from "./problem";

// The handlers' modules reach lib/auth/session, whose Auth.js instance needs Next's runtime; the document never
// calls it, so only that instance is replaced here.
vi.mock("@/lib/auth/auth", () => ({ auth: async () => null }));

describe("OpenAPI document of REST API v1", () => {
  const doc = buildOpenApiDocument(operations, "http://localhost:3000/api/v1");

  it("is a valid OpenAPI 3.1 document (swagger-parser)", async () => {
    const api = await SwaggerParser.validate(structuredClone(doc) as never);
    expect((api as { openapi: string }).openapi).toBe("3.1.0");
  });

  it("describes every operation the router serves, with problem+json errors and token security", () => {
    const paths = doc.paths as Record<
      string,
      Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }>; security: unknown[] }>
    >;
    for (const op of operations) {
      const entry = paths[op.path]?.[op.method];
      expect(entry, `${op.method} ${op.path}`).toBeDefined();
      expect(entry.operationId).toBe(op.operationId);
      if (op.auth === false) continue;
      expect(entry.responses["401"].content).toHaveProperty(["application/problem+json"]);
      expect(entry.responses["429"]).toBeDefined();
      expect(entry.security).toHaveLength(2);
      if (op.write) expect(entry.responses["403"]).toBeDefined();
    }
    expect(new Set(operations.map((o) => o.operationId)).size).toBe(operations.length);
  });

  it("follows Section's field names (accounts, applications, environments, domains)", () => {
    const schemas = (doc.components as { schemas: Record<string, { properties: Record<string, unknown> }> }).schemas;
    expect(Object.keys(schemas.Account.properties)).toEqual(
      expect.arrayContaining(["id", "href", "account_name", "is_admin", "requires_2fa"]),
    );
    expect(Object.keys(schemas.ApplicationSummary.properties)).toEqual(expect.arrayContaining(["id", "href", "application_name"]));
    expect(Object.keys(schemas.EnvironmentSummary.properties)).toEqual(
      expect.arrayContaining(["id", "href", "environment_name", "domains"]),
    );
    expect(Object.keys(schemas.DomainSummary.properties)).toEqual(expect.arrayContaining(["name", "cname"]));
    expect(Object.keys(schemas.AccountUser.properties)).toEqual(expect.arrayContaining(["id", "email", "accountCapability"]));
  });

  it("has no allOf of closed objects (no value could match it)", () => {
    const closedAllOf = (node: unknown): boolean => {
      if (!node || typeof node !== "object") return false;
      const n = node as { allOf?: { additionalProperties?: unknown }[] };
      if (n.allOf?.some((part) => part.additionalProperties === false)) return true;
      return Object.values(node).some(closedAllOf);
    };
    expect(closedAllOf(doc)).toBe(false);
  });

  it("documents every status an operation can answer: the router's own, its body's, and each problem its handler throws", () => {
    const paths = doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    for (const op of operations) {
      const documented = new Set(Object.keys(paths[op.path][op.method].responses).map(Number));
      const name = `${op.operationId}`;
      expect(documented.has(500), name).toBe(true);
      if (op.auth === false) continue;
      // The router: token (401), rate limit (429); a handler's own checks (400 validation, 404 not found).
      for (const status of [400, 401, 404, 429]) expect(documented.has(status), `${name} ${status}`).toBe(true);
      if (op.path.includes("{accountId}") || op.write) expect(documented.has(403), `${name} 403`).toBe(true);
      if (op.body) expect(documented.has(415), `${name} 415`).toBe(true);
      // Every problem kind named in the handler's source (ApiProblem("conflict", …), a ternary of kinds, …).
      const thrown = [...op.handle.toString().matchAll(/"([a-z-]+)"/g)].map((m) => m[1]).filter((k): k is ProblemKind => k in PROBLEMS);
      for (const kind of thrown) expect.soft(documented.has(PROBLEMS[kind].status), `${name} throws ${kind}`).toBe(true);
      for (const kind of documentedProblems(op)) expect(documented.has(PROBLEMS[kind].status), `${name} ${kind}`).toBe(true);
    }
  });
});
