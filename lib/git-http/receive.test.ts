import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitFiles, git, makeApplication } from "@/lib/environments/fixtures";
import { resolveBranch, ZERO_OID } from "@/lib/git/refs";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { checkPush } from "./receive";

// The pre-receive rules on the bytes a push brings (docs/product.md §3.6, §5): section.config.json must be UTF-8
// and hold no key twice; what git prints for a refused push names the encoding or the key path.

describe("checkPush on section.config.json bytes", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let f: Awaited<ReturnType<typeof makeApplication>>;
  let head: string;
  let text: string;
  beforeEach(async () => {
    temp = makeTempDataDir("ec-receive-");
    f = await makeApplication("receive", ["developer"]);
    head = (await resolveBranch(f.repo, "Production"))!;
    text = git(f.repo, "show", `${head}:section.config.json`) + "\n";
  });
  afterEach(() => temp.cleanup());

  const push = async (content: string | Buffer, branch = "Production") => {
    const commit = await commitFiles(f.repo, head, { "section.config.json": content });
    return checkPush({
      repoPath: f.repo,
      environments: ["Production"],
      updates: [{ ref: `refs/heads/${branch}`, oldOid: branch === "Production" ? head : ZERO_OID, newOid: commit }],
      objectEnv: {},
    });
  };

  it("refuses UTF-16 (with or without a byte order mark) with the encoding message", async () => {
    for (const [bytes, what] of [
      [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]), "UTF-16 LE, with a byte order mark"],
      [Buffer.from(text, "utf16le"), "UTF-16 LE, without a byte order mark"],
    ] as const) {
      const result = await push(bytes);
      expect(result.ok).toBe(false);
      expect(result.messages).toContain(
        `  Production: section.config.json must be UTF-8 (this file is ${what}); save it as UTF-8 (with or without a byte order mark) and try again`,
      );
    }
  });

  it("accepts UTF-8 with a byte order mark and CRLF line endings", async () => {
    expect(await push(`\uFEFF${text.replace(/\n/g, "\r\n")}`)).toEqual({
      ok: true,
      messages: ["Edge Console: Production: section.config.json is valid"],
    });
  });

  it("refuses a key that appears twice, naming its key path, also on a new environment branch", async () => {
    const twice = text.replace('"port": 443', '"port": 443,\n        "port": 8443');
    for (const branch of ["Production", "Qa"]) {
      const content = branch === "Qa" ? twice.replace('"Production"', '"Qa"') : twice;
      const result = await push(content, branch);
      expect(result.ok).toBe(false);
      expect(result.messages.find((m) => m.includes("appears twice"))).toMatch(
        new RegExp(
          `^  ${branch}: section\\.config\\.json environments\\.${branch}\\.origin\\.port: appears twice \\(again at line \\d+, column \\d+\\)`,
        ),
      );
    }
  });
});
