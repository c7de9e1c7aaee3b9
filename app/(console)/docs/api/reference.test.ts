import { describe, expect, it } from "vitest";
import { describeSchema } from "./reference";

// One-line types of the API reference page, from OpenAPI 3.1 schemas as zod-to-openapi writes them.

describe("describeSchema", () => {
  it("an array of a described component reads `X[]`, not `X & any[]`", () => {
    const items = { allOf: [{ $ref: "#/components/schemas/DomainCheck" }, { description: "One go-live check of a domain." }] };
    expect(describeSchema({ type: "array", items })).toBe("DomainCheck[]");
    expect(describeSchema({ type: "array", items: { $ref: "#/components/schemas/DomainCheck" } })).toBe("DomainCheck[]");
  });

  it("groups unions inside arrays and intersections; keeps nullable and inline objects readable", () => {
    expect(describeSchema({ type: "array", items: { anyOf: [{ type: "string" }, { type: "integer" }] } })).toBe("(string | integer)[]");
    expect(
      describeSchema({ allOf: [{ $ref: "#/components/schemas/A" }, { anyOf: [{ $ref: "#/components/schemas/B" }, { type: "null" }] }] }),
    ).toBe("A & (B | null)");
    expect(describeSchema({ anyOf: [{ $ref: "#/components/schemas/DomainCheck" }, { type: "null" }], description: "x" })).toBe(
      "DomainCheck | null",
    );
    expect(describeSchema({ type: "object", properties: { a: { type: "string" } }, required: ["a"] })).toBe("{ a: string }");
    expect(describeSchema({ type: ["string", "null"], format: "date-time" })).toBe("string (date-time) | null");
  });
});
