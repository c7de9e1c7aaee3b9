import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it, vi } from "vitest";
import { buildOpenApiDocument } from "./openapi";
import { operations } from "./operations";

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
    const paths = doc.paths as Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }>; security: unknown[] }>>;
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
    expect(Object.keys(schemas.Account.properties)).toEqual(expect.arrayContaining(["id", "href", "account_name", "is_admin", "requires_2fa"]));
    expect(Object.keys(schemas.ApplicationSummary.properties)).toEqual(expect.arrayContaining(["id", "href", "application_name"]));
    expect(Object.keys(schemas.EnvironmentSummary.properties)).toEqual(expect.arrayContaining(["id", "href", "environment_name", "domains"]));
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
});
