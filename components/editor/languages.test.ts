import { language } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { describe, expect, it } from "vitest";
import { languageOf, loadLanguage } from "./languages";

describe("the editor's language of a file", () => {
  it("follows the file name", () => {
    expect(languageOf("section.config.json")).toBe("json");
    expect(languageOf("varnish/proxy-features.json")).toBe("json");
    expect(languageOf("nodejs/index.js")).toBe("javascript");
    expect(languageOf("nodejs/server.mjs")).toBe("javascript");
    expect(languageOf("nodejs/handler.ts")).toBe("typescript");
    expect(languageOf("varnish/default.vcl")).toBe("vcl");
    expect(languageOf("openresty/nginx.conf")).toBe("nginx");
    expect(languageOf("openresty/conf.d/site.conf")).toBe("nginx");
    expect(languageOf("proxy/site.nginx")).toBe("nginx");
  });

  it("leaves other files as plain text (a modsecurity .conf is not nginx)", () => {
    expect(languageOf("modsecurity/modsecurity.conf")).toBe("text");
    expect(languageOf(".gitignore")).toBe("text");
    expect(languageOf("README.md")).toBe("text");
    expect(languageOf("json")).toBe("text");
  });

  it("loads each language's parser (the editor state then has that language) and none for plain text", async () => {
    for (const name of ["json", "javascript", "typescript", "nginx", "vcl"] as const) {
      const state = EditorState.create({ doc: "x", extensions: await loadLanguage(name) });
      expect(state.facet(language)?.name, name).toBe(name);
    }
    expect(EditorState.create({ extensions: await loadLanguage("text") }).facet(language)).toBeNull();
  });
});
