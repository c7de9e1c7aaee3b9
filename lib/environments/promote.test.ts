import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { diffCommit } from "@/lib/git/diff";
import { readBlobContent } from "@/lib/git/commit";
import { resolveBranch, ZERO_OID } from "@/lib/git/refs";
import { checkPush } from "@/lib/git-http/receive";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { compareEnvironment } from "./compare";
import { createEnvironment } from "./create";
import { saveFile } from "./edit";
import { addEnvironmentRow, commitFiles, environmentRow, git, makeApplication } from "./fixtures";
import { previewPromotion, promoteEnvironment } from "./promote";
import { revertCommit } from "./revert";

// Promotion, comparison and the editor on what real repositories hold (docs/product.md §3.4, §5): environments
// branched from Production that each change their own block, branches pushed with any history, line endings,
// byte order marks and encodings.

const show = (repo: string, rev: string, file = "section.config.json") => git(repo, "show", `${rev}:${file}`);

type Fixture = Awaited<ReturnType<typeof makeApplication>>;

describe("promote, compare and edit on real repositories", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let f: Fixture;
  beforeEach(async () => {
    temp = makeTempDataDir("ec-promote-");
    f = await makeApplication("promote", ["developer"]);
  });
  afterEach(() => temp.cleanup());

  const actor = () => f.actor("developer");
  async function environment(name: string) {
    const created = await createEnvironment({
      application: f.app,
      actor: actor(),
      name,
      source: "Production",
      hostname: { hostname: `${name.toLowerCase()}.promote.example`, unicode: `${name.toLowerCase()}.promote.example`, isApex: false },
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    return created.environment;
  }
  /** Saves `section.config.json` of `env` with `change` applied to its parsed value, from the branch head. */
  async function editConfig(
    env: { id: number; name: string },
    change: (value: { environments: Record<string, { origin: Record<string, unknown> }> }) => void,
  ) {
    const head = (await resolveBranch(f.repo, env.name))!;
    const value = JSON.parse(show(f.repo, head));
    change(value);
    const saved = await saveFile({
      application: f.app,
      environment: env,
      actor: actor(),
      path: "section.config.json",
      content: `${JSON.stringify(value, null, 2)}\n`,
      baseCommit: head,
      message: `edit ${env.name}`,
    });
    if (!saved.ok) throw new Error(saved.message);
  }

  describe("two environments each changing only their own block", () => {
    for (const order of [
      ["Staging", "Qa"],
      ["Qa", "Staging"],
    ]) {
      it(`are both promoted, ${order.join(" then ")}`, async () => {
        const staging = await environment("Staging");
        const qa = await environment("Qa");
        await editConfig(staging, (v) => (v.environments.Staging.origin.port = 8443));
        await editConfig(qa, (v) => (v.environments.Qa.origin.address = "198.51.100.9"));
        const envs = { Staging: staging, Qa: qa } as Record<string, typeof staging>;
        for (const name of order) {
          const result = await promoteEnvironment({ application: f.app, environment: envs[name], actor: actor() });
          expect(result, name).toMatchObject({ ok: true });
        }
        const production = JSON.parse(show(f.repo, "Production"));
        expect(production.environments.Staging.origin.port).toBe(8443);
        expect(production.environments.Qa.origin.address).toBe("198.51.100.9");
        expect(production.environments.Production.origin).toEqual({ address: "203.0.113.7", protocol: "https", port: 443 });
        expect(git(f.repo, "log", "--format=%s", "-2", "Production").split("\n")).toEqual(
          [...order].reverse().map((n) => `${n} merged to Production`),
        );
      });
    }
  });

  it("explains unrelated histories instead of failing, and changes nothing", async () => {
    const orphan = await commitFiles(
      f.repo,
      null,
      { "section.config.json": show(f.repo, "Production").replace('"Production"', '"Orphan"') },
      { branch: "Orphan" },
    );
    const env = await addEnvironmentRow(f.app, "Orphan");
    const production = await resolveBranch(f.repo, "Production");
    expect(await previewPromotion({ application: f.app, environment: env })).toMatchObject({
      state: "unmergeable",
      environmentHead: orphan,
      message: expect.stringContaining("Orphan and Production share no history"),
    });
    expect(await promoteEnvironment({ application: f.app, environment: env, actor: actor() })).toEqual({
      ok: false,
      code: "refused",
      message: expect.stringContaining("Merge Production into Orphan with git first"),
    });
    expect(await resolveBranch(f.repo, "Production")).toBe(production);
  });

  it("names each conflicting file's kind and the config keys both sides changed", async () => {
    const staging = await environment("Staging");
    const production = await environmentRow(f.app, "Production");
    await editConfig(staging, (v) => (v.environments.Production.origin.port = 8080));
    await editConfig(production, (v) => (v.environments.Production.origin.port = 9090));
    const result = await promoteEnvironment({ application: f.app, environment: staging, actor: actor() });
    expect(result).toMatchObject({
      ok: false,
      code: "conflict",
      conflicts: ["section.config.json"],
      details: [{ path: "section.config.json", kind: "config-keys", keyPaths: ["environments.Production.origin.port"] }],
    });
  });

  it("gives the compare page an answer for every branch a push can make", async () => {
    const production = (await resolveBranch(f.repo, "Production"))!;
    const base = show(f.repo, production);
    const withBlock = (name: string, text = base) => {
      const value = JSON.parse(text.replace(/^\uFEFF/, ""));
      value.environments[name] = { origin: { address: "203.0.113.8" } };
      return JSON.stringify(value, null, 2) + "\n";
    };
    // Module files the edge's checks accept (lib/edge/checks): the starter VCL, changed by a comment.
    const vcl = git(f.repo, "show", `${production}:varnish/default.vcl`) + "\n";
    const pushed: Record<string, string> = {
      Orphan: await commitFiles(f.repo, null, { "section.config.json": withBlock("Orphan"), "varnish/default.vcl": vcl }),
      Crlf: await commitFiles(f.repo, production, { "section.config.json": "\uFEFF" + withBlock("Crlf").replace(/\n/g, "\r\n") }),
      Binary: await commitFiles(f.repo, production, {
        "section.config.json": withBlock("Binary"),
        "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 0xff, 0]),
      }),
      Exec: await commitFiles(f.repo, production, { "section.config.json": withBlock("Exec") }, { mode: "100755" }),
      Clash: await commitFiles(f.repo, production, {
        "section.config.json": withBlock("Clash"),
        ".gitignore": null,
        "varnish/default.vcl": `${vcl}# Clash's own\n`,
      }),
    };
    // Production moves on too: the same files changed the other way.
    await commitFiles(
      f.repo,
      production,
      { ".gitignore": "local.config.json\n*.log\n", "varnish/default.vcl": `${vcl}# Production's own\n` },
      { branch: "Production" },
    );

    const check = await checkPush({
      repoPath: f.repo,
      environments: ["Production"],
      updates: Object.entries(pushed).map(([name, commit]) => ({ ref: `refs/heads/${name}`, oldOid: ZERO_OID, newOid: commit })),
      objectEnv: {},
    });
    expect(check.ok, check.messages.join("\n")).toBe(true);
    for (const [name, commit] of Object.entries(pushed)) git(f.repo, "update-ref", `refs/heads/${name}`, commit);
    const rows = [
      await environmentRow(f.app, "Production"),
      ...(await Promise.all(Object.keys(pushed).map((n) => addEnvironmentRow(f.app, n)))),
    ];

    const states: Record<string, string | undefined> = {};
    // Each against nothing, Production and the unrelated branch (every pair would only repeat the same git runs).
    const [productionRow, orphanRow] = rows;
    for (const env of rows) {
      for (const other of [null, productionRow, orphanRow].filter((r) => r !== env)) {
        const comparison = await compareEnvironment({ application: f.app, environment: env }, other);
        if (other) expect(comparison.diff, `${env.name} vs ${other.name}`).not.toBeNull();
        states[env.name] = comparison.preview?.state;
      }
    }
    expect(states).toEqual({
      Production: undefined,
      Orphan: "unmergeable",
      Crlf: "ready",
      Binary: "ready",
      Exec: "ready",
      Clash: "conflict",
    });
    const clash = await previewPromotion({ application: f.app, environment: rows.find((r) => r.name === "Clash")! });
    expect(clash.state === "conflict" && clash.details.map((d) => [d.path, d.kind])).toEqual([
      [".gitignore", "modify/delete"],
      ["varnish/default.vcl", "content"],
    ]);
  }, 120_000);

  describe("the editor", () => {
    it("keeps a CRLF file's line endings and byte order mark, so History shows only the real change", async () => {
      const staging = await environment("Staging");
      const head = (await resolveBranch(f.repo, "Staging"))!;
      const crlf = "\uFEFF" + show(f.repo, head).replace(/\n/g, "\r\n") + "\r\n";
      const windows = await commitFiles(f.repo, head, { "section.config.json": crlf }, { branch: "Staging", message: "saved on Windows" });
      // The browser sends LF text without the BOM; one value changes.
      const edited = crlf
        .replace(/^\uFEFF/, "")
        .replace(/\r\n/g, "\n")
        .replace('"port": 443', '"port": 8443');
      const before = edited.split('"port": 8443').length - 1;
      expect(before).toBeGreaterThan(0);
      const saved = await saveFile({
        application: f.app,
        environment: staging,
        actor: actor(),
        path: "section.config.json",
        content: edited,
        baseCommit: windows,
        message: "",
      });
      if (!saved.ok) throw new Error(saved.message);
      const stored = (await readBlobContent(f.repo, saved.commit, "section.config.json"))!.toString("utf8");
      expect(stored.startsWith("\uFEFF")).toBe(true);
      expect(stored.replace(/\r\n/g, "")).not.toContain("\n");
      expect(stored).toBe(crlf.replace('"port": 443', '"port": 8443'));
      const diff = await diffCommit(f.repo, saved.commit);
      const changed = diff.text.split("\n").filter((l) => /^[-+](?![-+])/.test(l));
      expect(changed).toHaveLength(2 * before);
      // The same text again is no change at all.
      expect(
        await saveFile({
          application: f.app,
          environment: staging,
          actor: actor(),
          path: "section.config.json",
          content: edited.replace(/\n/g, "\r\n"),
          baseCommit: saved.commit,
          message: "",
        }),
      ).toMatchObject({ ok: false, code: "unchanged" });
    });

    it("refuses a UTF-16 file with the encoding message, and refuses keys that appear twice by key path", async () => {
      const staging = await environment("Staging");
      const head = (await resolveBranch(f.repo, "Staging"))!;
      const text = show(f.repo, head);
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
      const pushed = await commitFiles(f.repo, head, { "section.config.json": utf16 }, { branch: "Staging" });
      const save = (content: string, baseCommit: string, path = "section.config.json") =>
        saveFile({ application: f.app, environment: staging, actor: actor(), path, content, baseCommit, message: "" });
      expect(await save(text.replace('"port": 443', '"port": 444'), pushed)).toEqual({
        ok: false,
        code: "bad_request",
        message: expect.stringMatching(/^section\.config\.json must be UTF-8 \(this file is UTF-16 LE, with a byte order mark\)/),
      });

      const utf8 = await commitFiles(f.repo, pushed, { "section.config.json": text, "data.json": '{ "a": 1 }\n' }, { branch: "Staging" });
      const twice = text.replace('"port": 443', '"port": 443, "port": 444');
      expect(await save(twice, utf8)).toMatchObject({
        ok: false,
        code: "invalid",
        issues: [{ path: "environments.Production.origin.port", message: expect.stringContaining("appears twice") }],
      });
      expect(await save('{ "a": 1, "b": { "c": 1, "c": 2 } }\n', utf8, "data.json")).toMatchObject({
        ok: false,
        code: "invalid",
        issues: [{ path: "b.c", message: expect.stringContaining("appears twice") }],
      });
      expect(await resolveBranch(f.repo, "Staging")).toBe(utf8);
    });
  });

  it("refuses keys that appear twice in a pushed file on every console path that commits from it", async () => {
    const head = (await resolveBranch(f.repo, "Production"))!;
    const text = show(f.repo, head);
    const twice = text.replace('"port": 443', '"port": 443,\n        "port": 444');
    const staging = await environment("Staging");
    // Production's file gets a duplicate key the way an old push could have left it.
    const pushed = await commitFiles(f.repo, head, { "section.config.json": twice }, { branch: "Production" });

    const fromIt = await createEnvironment({
      application: f.app,
      actor: actor(),
      name: "Qa",
      source: "Production",
      hostname: { hostname: "qa.promote.example", unicode: "qa.promote.example", isApex: false },
      ownershipRequired: false,
    });
    expect(fromIt).toMatchObject({ ok: false, field: "source", message: expect.stringContaining("environments.Production.origin.port") });

    await editConfig(staging, (v) => (v.environments.Staging.origin.port = 8443));
    expect(await promoteEnvironment({ application: f.app, environment: staging, actor: actor() })).toMatchObject({
      ok: false,
      issues: [{ path: "environments.Production.origin.port", message: expect.stringContaining("appears twice") }],
    });

    // A later change that reverting would undo: the result still holds the duplicate key.
    const later = await commitFiles(f.repo, pushed, { "varnish/default.vcl": "vcl 4.1;\n# later\n" }, { branch: "Production" });
    const reverted = await revertCommit({
      application: f.app,
      environment: await environmentRow(f.app, "Production"),
      actor: actor(),
      commit: later,
    });
    expect(reverted).toMatchObject({
      ok: false,
      code: "invalid",
      issues: [{ path: "environments.Production.origin.port", message: expect.stringContaining("appears twice") }],
    });
    expect(await resolveBranch(f.repo, "Production")).toBe(later);
  });
});
