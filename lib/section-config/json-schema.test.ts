import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { checkJsonSchema, formatJsonPath } from "@/components/editor/json-schema-check";
import { sectionConfigJsonSchema } from "./json-schema";
import { validateSectionConfig } from "./schema";

const origin = { address: "203.0.113.7" };
const config = (block: Record<string, unknown> = { origin }, extra: Record<string, unknown> = {}) => ({
  proxychain: [{ name: "varnish", image: "varnish:7.4" }],
  environments: { Production: block },
  ...extra,
});
const serverPaths = (value: unknown) => {
  const result = validateSectionConfig(value);
  return result.ok ? [] : result.issues.map((issue) => issue.path);
};

// Values the server refuses for a reason JSON Schema can say, with the key path the server names.
const REFUSED: [string, unknown, string][] = [
  ["an unknown key in an origin", config({ origin: { ...origin, colour: "blue" } }), "environments.Production.origin.colour"],
  ["an unknown key at the top level", config(undefined, { proxy_chain: [] }), "proxy_chain"],
  [
    "an unknown key in a proxy module",
    { ...config(), proxychain: [{ name: "varnish", image: "varnish:7.4", tag: "x" }] },
    "proxychain[0].tag",
  ],
  ["a port written as text", config({ origin: { ...origin, port: "eighty" } }), "environments.Production.origin.port"],
  ["a port out of range", config({ origin: { ...origin, port: 70000 } }), "environments.Production.origin.port"],
  ["a port that is not whole", config({ origin: { ...origin, port: 80.5 } }), "environments.Production.origin.port"],
  ["an unknown protocol", config({ origin: { ...origin, protocol: "ftp" } }), "environments.Production.origin.protocol"],
  ["an origin without address", config({ origin: { port: 80 } }), "environments.Production.origin.address"],
  ["an environment block without origin", config({}), "environments.Production.origin"],
  ["an environment name with a hyphen", { ...config(), environments: { "my-env": { origin } } }, 'environments["my-env"]'],
  ["an image in capitals", { ...config(), proxychain: [{ name: "varnish", image: "Varnish:7.4" }] }, "proxychain[0].image"],
  ["a proxy chain that is not a list", { ...config(), proxychain: { name: "varnish" } }, "proxychain"],
  [
    "a header name with a space",
    config({ origin: { ...origin, remove_request_headers: ["X Debug"] } }),
    "environments.Production.origin.remove_request_headers[0]",
  ],
];

describe("the JSON Schema exported from the section.config.json validator", () => {
  const schema = sectionConfigJsonSchema();
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const ajvValidate = ajv.compile(schema);

  it("is a draft 2020-12 schema that marks every strict object's unknown keys", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(["proxychain", "environments"]);
    const block = schema.properties!.environments.additionalProperties as typeof schema;
    expect(block.additionalProperties).toBe(false);
    expect(block.properties!.origin.additionalProperties).toBe(false);
    expect(block.properties!.origin.properties!.port).toMatchObject({ type: "integer", minimum: 1, maximum: 65535 });
  });

  it("accepts what the server accepts", () => {
    const full = config({
      origin: { ...origin, protocol: "https", port: 8443, host_header: "www.example.com", remove_request_headers: ["X-Debug"] },
      alternate_origins: { images: { address: "198.51.100.9" } },
      ip_blacklist: ["198.51.100.0/24"],
    });
    for (const value of [config(), full]) {
      expect(validateSectionConfig(value).ok).toBe(true);
      expect(ajvValidate(value), JSON.stringify(ajvValidate.errors)).toBe(true);
      expect(checkJsonSchema(value, schema)).toEqual([]);
    }
  });

  it.each(REFUSED)("refuses %s, as the server does, at the same key path", (_what, value, path) => {
    expect(serverPaths(value)).toContain(path);
    expect(ajvValidate(value)).toBe(false);
    const problems = checkJsonSchema(value, schema);
    expect(problems.map((p) => formatJsonPath(p.path))).toContain(path);
  });

  it("gives an unknown key the server's own message", () => {
    const value = config({ origin: { ...origin, colour: "blue" } });
    const server = validateSectionConfig(value);
    expect(server.ok).toBe(false);
    const message = !server.ok ? server.issues[0].message : "";
    expect(checkJsonSchema(value, schema)).toEqual([{ path: ["environments", "Production", "origin", "colour"], at: "key", message }]);
  });

  it("gives a value that does not match its pattern the server's own message", () => {
    const value = { ...config(), proxychain: [{ name: "Varnish", image: "varnish:7.4" }] };
    const server = validateSectionConfig(value);
    const message = !server.ok ? server.issues.find((i) => i.path === "proxychain[0].name")?.message : undefined;
    expect(message).toMatch(/module name/);
    expect(checkJsonSchema(value, schema)).toEqual([{ path: ["proxychain", 0, "name"], at: "value", message }]);
  });

  it("leaves the checks written as code to the server (a loopback origin passes the schema, not the save)", () => {
    const value = config({ origin: { address: "127.0.0.1" } });
    expect(checkJsonSchema(value, schema)).toEqual([]);
    expect(validateSectionConfig(value, { origins: { allowPrivate: false } }).ok).toBe(false);
  });
});
