import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb } from "@/db";
import { edgeCheckCache } from "@/db/schema";
import { haveTool } from "@/edge/modules";
import { createApiToken } from "@/lib/api-tokens";
import { refuseStack } from "@/lib/applications/from-input";
import { commitToEnvironment } from "@/lib/environments/commit";
import { commitFiles, git, makeApplication } from "@/lib/environments/fixtures";
import { platformIdentity } from "@/lib/git/create-repository";
import { resolveBranch } from "@/lib/git/refs";
import { writeTreeWithChanges } from "@/lib/git/commit";
import { checkPush } from "@/lib/git-http/receive";
import { getStack } from "@/lib/stacks/catalog";
import { gitEnv } from "@/lib/git";
import { startGitHttpServer } from "@/lib/testing/git-http-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { checkEnvironmentFiles } from "./checks";

// docs/edge.md "Checks on the console": the console runs the edge's policy and tools on every commit that lands on
// an environment branch, caching verdicts in edge_check_cache. Needs varnishd (skipped by name when it is missing
// locally; never under CI=true).

const BROKEN = (vcl: string) => vcl.replace("sub vcl_recv {", 'sub vcl_recv {\n    if (req.url ~ "x" {\n    }');

describe("console checks of module files", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeEach(() => {
    temp = makeTempDataDir("ec-edge-checks-");
  });
  afterEach(() => temp.cleanup());

  it("refuses unknown and code modules by policy, without a tool", async () => {
    expect(await checkEnvironmentFiles({ chain: ["squid"], files: {}, allowCodeModules: true })).toMatchObject({
      ok: false,
      tool: "policy",
      message: expect.stringMatching(/"squid" is not a module/),
    });
    expect(await checkEnvironmentFiles({ chain: ["nodejs"], files: { "nodejs/index.js": "" }, allowCodeModules: false })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/EDGE_ALLOW_CODE_MODULES/),
    });
    expect(await checkEnvironmentFiles({ chain: [], files: {}, allowCodeModules: false })).toEqual({ ok: true });
  });

  it("refuses code-module stacks at creation while EDGE_ALLOW_CODE_MODULES is off (the default)", () => {
    expect(refuseStack(getStack("nodejs")!)).toMatch(/^The Node.js stack runs your own code on the edge, .*EDGE_ALLOW_CODE_MODULES is off/);
    expect(refuseStack(getStack("openresty")!)).toMatch(/EDGE_ALLOW_CODE_MODULES is off/);
    expect(refuseStack(getStack("modsecurity")!)).toBeNull();
    expect(refuseStack({ label: "Squid", proxychain: [{ name: "squid", image: "squid:6" }] })).toMatch(/"squid" is not a module/);
  });

  it("refuses a custom error page larger than the edge serves (12,000 bytes), naming the file", async () => {
    const f = await makeApplication("edgepages", ["developer"]);
    const head = (await resolveBranch(f.repo, "Production"))!;
    const land = async (content: string) =>
      commitToEnvironment({
        repoPath: f.repo,
        environment: "Production",
        expectedHead: (await resolveBranch(f.repo, "Production"))!,
        tree: await writeTreeWithChanges(f.repo, (await resolveBranch(f.repo, "Production"))!, [
          { path: "custom_errors/502.html", content },
        ]),
        parents: [(await resolveBranch(f.repo, "Production"))!],
        message: "error page",
        author: platformIdentity(),
      });
    const big = await land(`<p>${"x".repeat(12_000)}</p>`);
    expect(big).toEqual({
      ok: false,
      code: "invalid",
      issues: [
        {
          path: expect.any(String),
          message: expect.stringMatching(/^custom_errors\/502\.html: 12,007 bytes; the edge serves error pages of at most 12,000 bytes$/),
        },
      ],
    });
    expect(await resolveBranch(f.repo, "Production")).toBe(head);
    const fits = await land("x".repeat(12_000));
    expect(fits).toMatchObject({ ok: true });
  });

  it("refuses a commit whose chain names a code module or an unknown module, at the key path proxychain", async () => {
    const f = await makeApplication("edgechain", ["developer"]);
    const head = (await resolveBranch(f.repo, "Production"))!;
    const config = JSON.parse(git(f.repo, "show", `${head}:section.config.json`));
    for (const [name, expected] of [
      ["nodejs", /EDGE_ALLOW_CODE_MODULES is off/],
      ["squid", /"squid" is not a module of this platform/],
    ] as const) {
      config.proxychain = [{ name, image: `${name}:1` }];
      const tree = await writeTreeWithChanges(f.repo, head, [
        { path: "section.config.json", content: JSON.stringify(config, null, 2) + "\n" },
      ]);
      const result = await commitToEnvironment({
        repoPath: f.repo,
        environment: "Production",
        expectedHead: head,
        tree,
        parents: [head],
        message: name,
        author: platformIdentity(),
      });
      expect(result).toEqual({ ok: false, code: "invalid", issues: [{ path: "proxychain", message: expect.stringMatching(expected) }] });
    }
    expect(await resolveBranch(f.repo, "Production")).toBe(head);
  });

  describe.skipIf(!haveTool("varnishd") && process.env.CI !== "true")("with varnishd", () => {
    it("refuses a commit with a broken VCL with varnishd's message; nothing moves; the verdict is cached", async () => {
      const f = await makeApplication("edgecheck", ["developer"]);
      const head = (await resolveBranch(f.repo, "Production"))!;
      const vcl = git(f.repo, "show", `${head}:varnish/default.vcl`) + "\n";
      const tree = await writeTreeWithChanges(f.repo, head, [{ path: "varnish/default.vcl", content: BROKEN(vcl) }]);
      const result = await commitToEnvironment({
        repoPath: f.repo,
        environment: "Production",
        expectedHead: head,
        tree,
        parents: [head],
        message: "break it",
        author: platformIdentity(),
      });
      expect(result).toEqual({
        ok: false,
        code: "invalid",
        issues: [
          {
            path: "",
            message: expect.stringMatching(/^varnish\/default.vcl: varnishd refused it: Expected '\)' got '\{' \(line 29, column \d+\)$/),
          },
        ],
      });
      expect(await resolveBranch(f.repo, "Production")).toBe(head);

      const files = {
        "varnish/default.vcl": BROKEN(vcl),
        "varnish/proxy-features.json": git(f.repo, "show", `${head}:varnish/proxy-features.json`) + "\n",
      };
      const rowsBefore = await getDb().select().from(edgeCheckCache);
      expect(rowsBefore.some((r) => !r.ok && r.tool === "varnishd" && /Expected '\)' got '\{'/.test(r.message ?? ""))).toBe(true);
      const again = await checkEnvironmentFiles({ chain: ["varnish"], files, allowCodeModules: false });
      expect(again).toMatchObject({ ok: false, tool: "varnishd", path: "varnish/default.vcl" });
      // Same content, same verdict: answered from the cache row (no new row).
      expect(await getDb().select().from(edgeCheckCache)).toHaveLength(rowsBefore.length);

      // The valid starter passes (and is cached as ok).
      expect(await checkEnvironmentFiles({ chain: ["varnish"], files: { "varnish/default.vcl": vcl }, allowCodeModules: false })).toEqual({
        ok: true,
      });
      expect((await getDb().select().from(edgeCheckCache)).some((r) => r.ok)).toBe(true);
    });

    it("checkPush refuses a push with a broken VCL, printing varnishd's message", async () => {
      const f = await makeApplication("edgepush", ["developer"]);
      const head = (await resolveBranch(f.repo, "Production"))!;
      const vcl = git(f.repo, "show", `${head}:varnish/default.vcl`) + "\n";
      const commit = await commitFiles(f.repo, head, { "varnish/default.vcl": BROKEN(vcl) });
      const check = await checkPush({
        repoPath: f.repo,
        environments: ["Production"],
        updates: [{ ref: "refs/heads/Production", oldOid: head, newOid: commit }],
        objectEnv: {},
      });
      expect(check.ok).toBe(false);
      expect(check.messages[0]).toBe("Edge Console refused this push; no branch was changed:");
      expect(check.messages[1]).toMatch(
        /^ {2}Production: varnish\/default.vcl: varnishd refused it: Expected '\)' got '\{' \(line 29, column \d+\)$/,
      );

      const fine = await commitFiles(f.repo, head, { "varnish/default.vcl": vcl.replace("6h", "2h") });
      const ok = await checkPush({
        repoPath: f.repo,
        environments: ["Production"],
        updates: [{ ref: "refs/heads/Production", oldOid: head, newOid: fine }],
        objectEnv: {},
      });
      expect(ok).toEqual({ ok: true, messages: ["Edge Console: Production: section.config.json is valid"] });
    });

    it("a real git push of a broken VCL is refused with remote: lines naming varnishd's message", async () => {
      const f = await makeApplication("edgegit", ["developer"]);
      const { value } = await createApiToken({ userId: f.user("developer").id, name: "push" });
      const server = await startGitHttpServer();
      try {
        const url = `${server.url}/git/account/${f.app.accountId}/application/${f.app.id}/www.edgegit.example.git`.replace(
          "http://",
          `http://token:${value}@`,
        );
        const clone = path.join(temp.dir, "clone");
        const run = (args: string[], cwd?: string) =>
          new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
            const child = spawn("git", ["-c", "credential.helper=", ...args], {
              cwd,
              env: gitEnv({
                GIT_AUTHOR_NAME: "Dev",
                GIT_AUTHOR_EMAIL: "dev@example.com",
                GIT_COMMITTER_NAME: "Dev",
                GIT_COMMITTER_EMAIL: "dev@example.com",
              }),
            });
            let stderr = "";
            child.stderr.on("data", (d) => (stderr += d));
            child.on("error", reject);
            child.on("close", (code) => resolve({ code, stderr }));
          });
        expect((await run(["clone", url, clone])).code).toBe(0);
        const file = path.join(clone, "varnish", "default.vcl");
        fs.writeFileSync(file, BROKEN(fs.readFileSync(file, "utf8")));
        expect((await run(["commit", "-qam", "break the VCL"], clone)).code).toBe(0);
        const pushed = await run(["push", "origin", "Production"], clone);
        expect(pushed.code).not.toBe(0);
        expect(pushed.stderr).toContain("remote: Edge Console refused this push; no branch was changed:");
        expect(pushed.stderr).toMatch(
          /remote: {3}Production: varnish\/default.vcl: varnishd refused it: Expected '\)' got '\{' \(line 29, column \d+\)/,
        );
      } finally {
        await server.close();
      }
    });
  });
});
