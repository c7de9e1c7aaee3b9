import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkEnvironmentName } from "@/lib/environments/names";
import { classifyRef, isEnvironmentBranchName } from "@/lib/git-http/push-policy";
import { ambiguousRefNameReason } from "./names";
import { gitEnv } from "./run";

// Ref names git clients would read as another ref (gitrevisions(7)): refused for environments and on push.

/** Names a pushed branch or tag may not have: git's root refs, other namespaces, HEAD parts, object ids, options. */
const AMBIGUOUS = [
  // $GIT_DIR/<refname> (rule 1): root refs, in any case (case-insensitive file systems fold them together)
  "HEAD",
  "head",
  "Head",
  "hEaD",
  "FETCH_HEAD",
  "fetch_head",
  "Fetch_Head",
  "ORIG_HEAD",
  "MERGE_HEAD",
  "CHERRY_PICK_HEAD",
  "REVERT_HEAD",
  "REBASE_HEAD",
  "BISECT_HEAD",
  "AUTO_MERGE",
  "auto_merge",
  "BISECT_EXPECTED_REV",
  "NOTES_MERGE_REF",
  "NOTES_MERGE_PARTIAL",
  "MERGE_AUTOSTASH",
  "ANYTHING_HEAD",
  "_HEAD",
  // refs/<refname> (rule 2) and full ref names (rule 1)
  "refs/heads/Production",
  "refs/tags/v1",
  "refs/x",
  "Refs/heads/Production",
  "heads/Production",
  "Heads/Production",
  "HEADS/main",
  "heads",
  "tags/v1",
  "Tags/v1",
  "tags",
  "remotes/origin/Production",
  "notes/commits",
  "stash",
  "Stash",
  "stash/x",
  "replace/abc",
  "bisect/bad",
  "rewritten/onto",
  "worktree/x",
  "main-worktree/HEAD",
  "worktrees/wt/HEAD",
  "prefetch/remotes/origin/main",
  "original/refs/heads/main",
  "namespaces/other/refs/heads/main",
  // refs/remotes/<refname> and refs/remotes/<refname>/HEAD (rules 5, 6) for the remote every clone has
  "origin",
  "Origin",
  "origin/Production",
  "ORIGIN/main",
  // a part named HEAD: refs/remotes/origin/x/HEAD is what `origin/x` resolves to when no branch x exists
  "feature/HEAD",
  "x/head",
  "a/HEAD/b",
  // a full object id is taken as that object before any ref (gitrevisions(7) <sha1>)
  "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
  "A94A8FE5CCB19BA61C4C0873D391E987982FBBD3",
  "f".repeat(64),
  // options
  "-x",
  "--upload-pack=touch",
  "feature/-x",
];

/** Look-alikes that are not ambiguous and stay plain branches, tags or environments. */
const UNAMBIGUOUS = [
  "Production",
  "Staging",
  "Qa2",
  "feature/x",
  "my-fix",
  "2024",
  "qa_1",
  "Production/x",
  "headless",
  "ahead",
  "HEADER",
  "Head2",
  "HEAD_x",
  "MERGE_HEADS",
  "heads-up",
  "tagsx",
  "Origins",
  "originals",
  "feature/heads/x",
  "release/tags",
  "feature/origin",
  "feature/FETCH_HEAD",
  "x-",
  "deadbeef",
  "a".repeat(39),
  "a".repeat(41),
  "g".repeat(40),
];

describe("ambiguousRefNameReason", () => {
  it.each(AMBIGUOUS)("refuses %s with a reason", (name) => {
    expect(ambiguousRefNameReason(name)).toMatch(/\w/);
  });
  it.each(UNAMBIGUOUS)("accepts %s", (name) => {
    expect(ambiguousRefNameReason(name)).toBeNull();
  });
  it("names what git would read instead", () => {
    expect(ambiguousRefNameReason("heads/Production")).toContain("refs/heads/Production");
    expect(ambiguousRefNameReason("refs/tags/v1")).toContain('"refs/tags/v1" as refs/tags/v1');
    expect(ambiguousRefNameReason("origin/main")).toContain("refs/remotes/origin/main");
    expect(ambiguousRefNameReason("origin")).toContain("refs/remotes/origin/HEAD");
    expect(ambiguousRefNameReason("fetch_head")).toContain("FETCH_HEAD");
  });
});

describe("push policy (classifyRef) uses the rule for branches and tags", () => {
  const envs = ["Production", "Staging"];
  it.each(AMBIGUOUS)("refs/heads/%s and the tag of that name are reserved (deletable)", (name) => {
    expect(classifyRef(`refs/heads/${name}`, envs)).toMatchObject({ kind: "reserved", deletable: true, reason: expect.any(String) });
    expect(classifyRef(`refs/tags/${name}`, envs)).toMatchObject({ kind: "reserved", deletable: true });
    expect(isEnvironmentBranchName(name)).toBe(false);
  });
  it.each(UNAMBIGUOUS)("refs/heads/%s and the tag of that name are not reserved", (name) => {
    expect(classifyRef(`refs/heads/${name}`, envs).kind).not.toBe("reserved");
    expect(classifyRef(`refs/tags/${name}`, envs)).toEqual({ kind: "tag", tag: name });
  });
  it("keeps the console's archive tags undeletable and an existing environment of an old name pushable", () => {
    expect(classifyRef("refs/tags/deleted/Qa-20261130T162206Z", envs)).toMatchObject({ kind: "reserved", deletable: false });
    expect(classifyRef("refs/heads/Origin", [...envs, "Origin"])).toEqual({ kind: "environment", branch: "Origin", existing: "Origin" });
    expect(classifyRef("refs/heads/origin", [...envs, "Origin"]).kind).toBe("reserved");
  });
});

describe("environment names use the same rule", () => {
  it.each(["Head", "HEAD", "head", "Heads", "Tags", "Refs", "Remotes", "Notes", "Stash", "Origin", "Worktree", "Original", "Replace"])(
    "refuses %s",
    async (name) => {
      const result = await checkEnvironmentName(name);
      expect(result).toEqual({ ok: false, message: expect.stringContaining("git reserves") });
    },
  );
  it("refuses a name that is a full object id", async () => {
    expect(await checkEnvironmentName("a94a8fe5ccb19ba61c4c0873d391e987982fbbd3")).toMatchObject({ ok: false });
  });
  it.each(["Staging", "Headless", "Tagged", "Originals", "Qa2"])("accepts %s", async (name) => {
    expect(await checkEnvironmentName(name)).toEqual({ ok: true, name });
  });
});

describe("the refused names really are ambiguous to git (real repository)", () => {
  let dir: string;
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      env: gitEnv({
        GIT_DIR: dir,
        GIT_AUTHOR_NAME: "T",
        GIT_AUTHOR_EMAIL: "t@example.test",
        GIT_COMMITTER_NAME: "T",
        GIT_COMMITTER_EMAIL: "t@example.test",
      }),
      encoding: "utf8",
    }).trim();
  let mine: string;
  let other: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ec-refnames-"));
    execFileSync("git", ["init", "--bare", "-q", dir], { env: gitEnv() });
    const tree = git("mktree");
    mine = git("commit-tree", tree, "-m", "the pushed branch");
    other = git("commit-tree", tree, "-m", "what the name also means");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ["heads/Production", "refs/heads/Production"],
    ["tags/v1", "refs/tags/v1"],
    ["refs/heads/Production", "refs/heads/Production"],
    ["stash", "refs/stash"],
    ["remotes/origin/main", "refs/remotes/origin/main"],
    ["ORIG_HEAD", "ORIG_HEAD"],
    ["FETCH_HEAD", "FETCH_HEAD"],
  ])("a branch named %s is read as %s", (name, meaning) => {
    git("update-ref", `refs/heads/${name}`, mine);
    git("update-ref", meaning, other);
    expect(git("rev-parse", "--verify", "--quiet", name)).toBe(other);
    expect(ambiguousRefNameReason(name)).not.toBeNull();
  });
  it("a branch named like an object id is read as that object", () => {
    git("update-ref", `refs/heads/${other}`, mine);
    expect(git("rev-parse", "--verify", "--quiet", other)).toBe(other);
    expect(ambiguousRefNameReason(other)).not.toBeNull();
  });
});
