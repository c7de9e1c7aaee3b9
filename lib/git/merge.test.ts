import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSectionConfig } from "@/lib/section-config/schema";
import { commitOnBranch, createCommit, readBlobAt, writeTreeWithChanges, type FileChange } from "./commit";
import { createBareRepository } from "./create-repository";
import { MergeError, mergeCommits, revertTree } from "./merge";
import { readBlob } from "./read";
import { resolveBranch, updateBranch, ZERO_OID } from "./refs";
import { GitError, gitEnv } from "./run";

// Merges as promotion does them (git-merge-tree(1) in a bare repository), on real repositories in a temp folder.

const ADA = { name: "Ada Lovelace", email: "ada@example.com" };
const CONFIG = "section.config.json";
const PRODUCTION_CONFIG = {
  proxychain: [{ name: "varnish", image: "varnish:7.4" }],
  environments: { Production: { origin: { address: "203.0.113.7", port: 443 } } },
};
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** The real git CLI, as a user would run it: exit status and standard output. */
const git = (repo: string, ...args: string[]) => {
  const run = spawnSync("git", ["--git-dir", repo, ...args], { env: gitEnv(), encoding: "utf8" });
  return { status: run.status, stdout: run.stdout };
};

let root: string;
let count = 0;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "ec-merge-"));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function newRepo(files: Record<string, string> = {}): Promise<string> {
  const repo = path.join(root, `app-${++count}.git`);
  await createBareRepository(
    repo,
    { [CONFIG]: json(PRODUCTION_CONFIG), "varnish/default.vcl": "vcl 4.1;\n", ...files },
    {
      message: "initial section.config.json",
      author: ADA,
    },
  );
  return repo;
}

/** Commits `changes` on `branch` (created from `from` when missing); returns the new head. */
async function commit(repo: string, branch: string, changes: Record<string, string | Buffer | null>, from = "Production") {
  const head = (await resolveBranch(repo, branch)) ?? (await resolveBranch(repo, from))!;
  const list: FileChange[] = Object.entries(changes).map(([p, content]) => ({ path: p, content }));
  const tree = await writeTreeWithChanges(repo, head, list);
  const expected = (await resolveBranch(repo, branch)) ?? ZERO_OID;
  const result = await commitOnBranch(repo, branch, expected, {
    tree,
    parents: [head],
    message: `change ${++count}`,
    author: ADA,
    committer: ADA,
  });
  if (!result.ok) throw new Error("moved");
  return result.commit;
}

async function readConfig(repo: string, branch: string): Promise<typeof PRODUCTION_CONFIG & { environments: Record<string, unknown> }> {
  return JSON.parse((await readBlob(repo, branch, CONFIG))!);
}

/** Changes `environments.<name>` (or adds it) in the branch's section.config.json, as the editor would. */
async function setBlock(repo: string, branch: string, name: string, block: unknown, from = "Production") {
  const config = await readConfig(repo, (await resolveBranch(repo, branch)) ? branch : from);
  config.environments[name] = block;
  return commit(repo, branch, { [CONFIG]: json(config) }, from);
}

/** Promotes as lib/environments/promote does: merge in the object database, then a two-parent commit on Production. */
async function promote(repo: string, name: string) {
  const [production, environment] = [(await resolveBranch(repo, "Production"))!, (await resolveBranch(repo, name))!];
  const merged = await mergeCommits(repo, production, environment, { labels: { ours: "Production", theirs: name } });
  if (!merged.clean) return merged;
  const commitId = await createCommit(repo, {
    tree: merged.tree,
    parents: [production, environment],
    message: `${name} merged to Production`,
    author: ADA,
    committer: ADA,
  });
  expect(await updateBranch(repo, "Production", commitId, production)).toBe(true);
  return merged;
}

describe("mergeCommits: section.config.json merged key by key", () => {
  it.each([
    ["Staging", "Dev"],
    ["Dev", "Staging"],
  ])("promotes two environments made from Production, each changing only its own block: %s then %s", async (first, second) => {
    const repo = await newRepo();
    const blocks = {
      Staging: { origin: { address: "203.0.113.8", port: 8443 } },
      Dev: { origin: { address: "203.0.113.9" }, ip_blacklist: ["198.51.100.0/24"] },
    };
    // Create both from Production (the block copied from Production's), then each changes only its own block.
    for (const name of ["Staging", "Dev"] as const) await setBlock(repo, name, name, PRODUCTION_CONFIG.environments.Production);
    for (const name of ["Staging", "Dev"] as const) await setBlock(repo, name, name, blocks[name]);

    expect(await promote(repo, first)).toMatchObject({ clean: true });
    // git's own line merge cannot do the second one: both added a block at the same place in the file.
    const raw = git(repo, "merge-tree", "--write-tree", "--name-only", "Production", second);
    expect(raw.status).toBe(1);
    expect(raw.stdout.split("\n")[1]).toBe(CONFIG);
    expect(await promote(repo, second)).toMatchObject({ clean: true });

    const text = (await readBlob(repo, "Production", CONFIG))!;
    expect(text).toBe(
      json({
        ...PRODUCTION_CONFIG,
        environments: { ...PRODUCTION_CONFIG.environments, [first]: blocks[first as "Dev"], [second]: blocks[second as "Dev"] },
      }),
    );
    expect(parseSectionConfig(text, { environment: "Production" }).ok).toBe(true);
    expect(git(repo, "log", "--format=%s", "-2", "Production").stdout).toBe(
      `${second} merged to Production\n${first} merged to Production\n`,
    );
  });

  it("keeps git's line merge of every other file when section.config.json is merged key by key", async () => {
    const repo = await newRepo({ "notes.txt": "a\nb\nc\nd\ne\n" });
    await setBlock(repo, "Staging", "Staging", { origin: { address: "203.0.113.8" } });
    await commit(repo, "Staging", { "notes.txt": "A\nb\nc\nd\ne\n" });
    await commit(repo, "Production", { "notes.txt": "a\nb\nc\nd\nE\n" });
    await setBlock(repo, "Production", "Dev", { origin: { address: "203.0.113.9" } });
    expect(await promote(repo, "Staging")).toMatchObject({ clean: true });
    expect(await readBlob(repo, "Production", "notes.txt")).toBe("A\nb\nc\nd\nE\n");
    expect((await readConfig(repo, "Production")).environments).toEqual({
      Production: PRODUCTION_CONFIG.environments.Production,
      Dev: { origin: { address: "203.0.113.9" } },
      Staging: { origin: { address: "203.0.113.8" } },
    });
    expect((await readBlobAt(repo, "refs/heads/Production", CONFIG))?.mode).toBe("100644");
  });

  it("reports the same key changed two ways as a config-keys conflict naming the key path; nothing moves", async () => {
    const repo = await newRepo();
    await setBlock(repo, "Staging", "Production", { origin: { address: "203.0.113.70", port: 443 } });
    await setBlock(repo, "Staging", "Staging", { origin: { address: "203.0.113.8" } });
    await setBlock(repo, "Production", "Production", { origin: { address: "203.0.113.71", port: 443 } });
    const before = await resolveBranch(repo, "Production");
    expect(await promote(repo, "Staging")).toEqual({
      clean: false,
      conflicts: [CONFIG],
      details: [
        {
          path: CONFIG,
          kind: "config-keys",
          keyPaths: ["environments.Production.origin.address"],
          message: "Production and Staging both changed environments.Production.origin.address in different ways",
        },
      ],
    });
    expect(await resolveBranch(repo, "Production")).toBe(before);
  });

  it("leaves section.config.json out of the conflicts when it merged but another file did not", async () => {
    const repo = await newRepo();
    await setBlock(repo, "Staging", "Staging", { origin: { address: "203.0.113.8" } });
    await commit(repo, "Staging", { "varnish/default.vcl": "vcl 4.1; # staging\n" });
    await setBlock(repo, "Dev", "Dev", { origin: { address: "203.0.113.9" } });
    await commit(repo, "Dev", { "varnish/default.vcl": "vcl 4.1; # dev\n" });
    expect(await promote(repo, "Staging")).toMatchObject({ clean: true });
    expect(await promote(repo, "Dev")).toEqual({
      clean: false,
      conflicts: ["varnish/default.vcl"],
      details: [{ path: "varnish/default.vcl", kind: "content", message: "changed in both Production and Dev, in different ways" }],
    });
  });

  it("does not merge a section.config.json that is not UTF-8 JSON: git's conflict stays", async () => {
    const repo = await newRepo();
    await setBlock(repo, "Staging", "Staging", { origin: { address: "203.0.113.8" } });
    const config = await readConfig(repo, "Staging");
    await commit(repo, "Staging", {
      [CONFIG]: json(config).replace('"Staging": {', '"Staging": {\n      "origin": {"address": "203.0.113.1"},'),
    });
    await setBlock(repo, "Production", "Dev", { origin: { address: "203.0.113.9" } });
    const result = await promote(repo, "Staging");
    expect(result).toMatchObject({ clean: false, conflicts: [CONFIG], details: [{ path: CONFIG, kind: "content" }] });

    const utf16 = await newRepo();
    await commit(utf16, "Staging", { [CONFIG]: Buffer.from(json({ ...PRODUCTION_CONFIG, proxychain: [] }), "utf16le") });
    await setBlock(utf16, "Production", "Dev", { origin: { address: "203.0.113.9" } });
    expect(await promote(utf16, "Staging")).toMatchObject({ clean: false, details: [{ path: CONFIG, kind: "binary" }] });
  });

  it("resolves section.config.json in a revert too (adjacent lines changed by different commits)", async () => {
    const repo = await newRepo();
    const target = await setBlock(repo, "Production", "Production", { origin: { address: "203.0.113.7", port: 8443 } });
    await setBlock(repo, "Production", "Production", { origin: { address: "203.0.113.70", port: 8443 } });
    const head = (await resolveBranch(repo, "Production"))!;
    const result = await revertTree(repo, target, head);
    expect(result.clean).toBe(true);
    if (!result.clean) return;
    const text = git(repo, "cat-file", "blob", `${result.tree}:${CONFIG}`).stdout;
    expect(JSON.parse(text).environments.Production).toEqual({ origin: { address: "203.0.113.70", port: 443 } });
  });
});

describe("mergeCommits: the kind of each conflict", () => {
  it("names content, add/add, modify/delete (both ways), binary and rename conflicts, with the sides' names", async () => {
    const binary = (n: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, n, 0, 1, 2, 3]);
    const repo = await newRepo({ "notes.txt": "notes\n", "extra.txt": "extra\n", "old.txt": "old file\nwith lines\n" });
    await commit(repo, "Production", { "logo.png": binary(0) });
    await commit(repo, "Staging", {
      "varnish/default.vcl": "vcl 4.1; # staging\n",
      "new.txt": "staging\n",
      "notes.txt": "notes, changed\n",
      "extra.txt": null,
      "old.txt": null,
      "renamed.txt": "old file\nwith lines\n",
      "logo.png": binary(2),
    });
    await commit(repo, "Production", {
      "varnish/default.vcl": "vcl 4.1; # production\n",
      "new.txt": "production\n",
      "notes.txt": null,
      "extra.txt": "extra, changed\n",
      "old.txt": null,
      "logo.png": binary(1),
    });
    const [production, staging] = [(await resolveBranch(repo, "Production"))!, (await resolveBranch(repo, "Staging"))!];
    const result = await mergeCommits(repo, production, staging, { labels: { ours: "Production", theirs: "Staging" } });
    expect(result).toEqual({
      clean: false,
      conflicts: ["extra.txt", "logo.png", "new.txt", "notes.txt", "renamed.txt", "varnish/default.vcl"],
      details: [
        { path: "extra.txt", kind: "modify/delete", message: "changed in Production, deleted in Staging" },
        {
          path: "logo.png",
          kind: "binary",
          message: "a binary file changed in both Production and Staging; binary files cannot be merged, keep one version",
        },
        { path: "new.txt", kind: "add/add", message: "added in both Production and Staging, with different content" },
        { path: "notes.txt", kind: "modify/delete", message: "deleted in Production, changed in Staging" },
        { path: "renamed.txt", kind: "rename", message: "old.txt renamed to renamed.txt in Staging, but deleted in Production." },
        { path: "varnish/default.vcl", kind: "content", message: "changed in both Production and Staging, in different ways" },
      ],
    });
    // Without labels, the sides are "ours" and "theirs" (never raw commit ids).
    const plain = await mergeCommits(repo, production, staging);
    expect(!plain.clean && plain.details.find((d) => d.kind === "rename")?.message).toBe(
      "old.txt renamed to renamed.txt in theirs, but deleted in ours.",
    );
    expect(JSON.stringify(plain)).not.toContain(production);
  });

  it("throws a typed MergeError for unrelated histories and other git failures", async () => {
    const repo = await newRepo();
    const production = (await resolveBranch(repo, "Production"))!;
    const tree = await writeTreeWithChanges(repo, null, [{ path: "other.txt", content: "unrelated\n" }]);
    const lonely = await createCommit(repo, { tree, parents: [], message: "unrelated", author: ADA, committer: ADA });
    const unrelated = await mergeCommits(repo, production, lonely).catch((err: unknown) => err);
    expect(unrelated).toBeInstanceOf(MergeError);
    expect(unrelated).toBeInstanceOf(GitError);
    expect(unrelated).toMatchObject({ reason: "unrelated_histories" });

    const missing = await mergeCommits(repo, production, "1".repeat(40)).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(MergeError);
    expect(missing).toMatchObject({ reason: "failed" });
  });

  it("still returns the merged tree for a clean merge", async () => {
    const repo = await newRepo();
    const staging = await commit(repo, "Staging", { "varnish/default.vcl": "vcl 4.1; # staging\n" });
    const production = (await resolveBranch(repo, "Production"))!;
    expect(await mergeCommits(repo, production, staging)).toEqual({
      clean: true,
      tree: git(repo, "rev-parse", `${staging}^{tree}`).stdout.trim(),
    });
  });
});
