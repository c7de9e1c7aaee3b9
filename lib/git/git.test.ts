import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import {
  createBareRepository,
  GitError,
  gitEnv,
  isValidBranchName,
  listTree,
  platformIdentity,
  readBlob,
  RepositoryPathTakenError,
  runGitText,
} from "./index";

/** Runs the real git CLI the way a user would (own process, no product code). */
const git = (...args: string[]) => execFileSync("git", args, { env: gitEnv(), encoding: "utf8" });

const FILES = {
  "section.config.json": '{\n  "proxychain": [],\n  "environments": {}\n}\n',
  ".gitignore": "local.config.json\n",
  "varnish/default.vcl": "vcl 4.1;\n",
  "varnish/proxy-features.json": "{}\n",
  "a/b/c/deep.txt": "deep\n",
  "unicode-é.txt": "héllo ✓\n",
};

describe("lib/git", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let work: string;
  beforeAll(() => {
    temp = makeTempDataDir("ec-git-");
    work = path.join(temp.dir, "work");
    fs.mkdirSync(work);
  });
  afterAll(() => temp.cleanup());

  describe("createBareRepository", () => {
    it("writes one commit on Production by the platform identity, HEAD → Production, without a worktree", async () => {
      const dir = path.join(work, "one.git");
      const created = await createBareRepository(dir, FILES, { message: "initial section.config.json" });
      expect(created.branch).toBe("Production");
      expect(created.commit).toMatch(/^[0-9a-f]{40}$/);

      expect(git("-C", dir, "rev-parse", "--is-bare-repository").trim()).toBe("true");
      expect(git("-C", dir, "symbolic-ref", "HEAD").trim()).toBe("refs/heads/Production");
      expect(git("-C", dir, "for-each-ref", "--format=%(refname)").trim()).toBe("refs/heads/Production");
      expect(git("-C", dir, "rev-list", "--count", "Production").trim()).toBe("1");
      expect(git("-C", dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%B", "Production").trim()).toBe(
        "Edge Console <platform@edge.localhost>|Edge Console <platform@edge.localhost>|initial section.config.json",
      );
      expect(platformIdentity()).toEqual({ name: "Edge Console", email: "platform@edge.localhost" });
      expect(git("-C", dir, "show", "Production:section.config.json")).toBe(FILES["section.config.json"]);
      git("-C", dir, "fsck", "--strict", "--no-dangling");

      // A clone shows exactly the files, on branch Production.
      const clone = path.join(work, "clone");
      git("clone", "--quiet", dir, clone);
      expect(git("-C", clone, "branch", "--show-current").trim()).toBe("Production");
      for (const [name, content] of Object.entries(FILES)) {
        expect(fs.readFileSync(path.join(clone, name), "utf8"), name).toBe(content);
      }
      expect(git("-C", clone, "ls-files").trim().split("\n").sort()).toEqual(
        Object.keys(FILES)
          .map((f) => (/[^\x20-\x7e]/.test(f) ? `"${f.replace("é", "\\303\\251")}"` : f))
          .sort(),
      );
      expect(git("-C", clone, "status", "--porcelain")).toBe("");
    });

    it("uses the given author and accepts an existing empty folder", async () => {
      const dir = path.join(work, "empty-folder.git");
      fs.mkdirSync(dir);
      await createBareRepository(dir, { "x.txt": "x\n" }, { message: "m", author: { name: "Ada", email: "ada@example.com" } });
      expect(git("-C", dir, "log", "-1", "--format=%an <%ae> %s").trim()).toBe("Ada <ada@example.com> m");
    });

    it("never touches a path that is already taken", async () => {
      const file = path.join(work, "taken-file.git");
      fs.writeFileSync(file, "not a repository");
      await expect(createBareRepository(file, FILES, { message: "m" })).rejects.toBeInstanceOf(RepositoryPathTakenError);
      expect(fs.readFileSync(file, "utf8")).toBe("not a repository");

      const dir = path.join(work, "taken-dir.git");
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "keep.txt"), "keep");
      await expect(createBareRepository(dir, FILES, { message: "m" })).rejects.toBeInstanceOf(RepositoryPathTakenError);
      expect(fs.readdirSync(dir)).toEqual(["keep.txt"]);
    });

    it("refuses unsafe paths and branch names before creating anything", async () => {
      for (const bad of ["../escape", "/abs", "a//b", ".git/config", "x/.GIT/y", "a\nb", "", "dir/."]) {
        const dir = path.join(work, "unsafe.git");
        await expect(createBareRepository(dir, { [bad]: "x" }, { message: "m" }), JSON.stringify(bad)).rejects.toThrow(TypeError);
        expect(fs.existsSync(dir)).toBe(false);
      }
      await expect(createBareRepository(path.join(work, "u2.git"), { a: "1", "a/b": "2" }, { message: "m" })).rejects.toThrow(
        /both a file and a folder/,
      );
      await expect(createBareRepository(path.join(work, "u3.git"), {}, { message: "m", branch: "-x" })).rejects.toThrow(TypeError);
      expect(fs.existsSync(path.join(work, "u2.git"))).toBe(false);
    });

    describe("when git fails midway", () => {
      const PATH = process.env.PATH;
      afterEach(() => {
        process.env.PATH = PATH;
      });
      it("removes the folder it created and rejects with GitError", async () => {
        const dir = path.join(work, "no-git.git");
        process.env.PATH = path.join(work, "no-such-bin"); // git cannot be found: spawn fails
        const failure = createBareRepository(dir, FILES, { message: "m" });
        await expect(failure).rejects.toBeInstanceOf(GitError);
        expect(fs.existsSync(dir)).toBe(false);
      });
    });

    it("gives git children an explicit environment without the console's secrets", async () => {
      process.env.AUTH_SECRET = "do-not-leak";
      try {
        const env = await runGitText(["-c", "alias.dump-env=!env", "dump-env"], { cwd: work });
        expect(env).not.toContain("do-not-leak");
        expect(env).toMatch(/^LANG=C$/m);
        expect(env).toMatch(/^GIT_CONFIG_NOSYSTEM=1$/m);
      } finally {
        delete process.env.AUTH_SECRET;
      }
    });
  });

  describe("readBlob and listTree", () => {
    let repo: string;
    beforeAll(async () => {
      repo = path.join(work, "read.git");
      await createBareRepository(repo, FILES, { message: "initial section.config.json" });
    });

    it("reads files of a branch, or null for what does not exist", async () => {
      expect(await readBlob(repo, "Production", "section.config.json")).toBe(FILES["section.config.json"]);
      expect(await readBlob(repo, "Production", "a/b/c/deep.txt")).toBe("deep\n");
      expect(await readBlob(repo, "Production", "unicode-é.txt")).toBe("héllo ✓\n");
      expect(await readBlob(repo, "Production", "missing.txt")).toBeNull();
      expect(await readBlob(repo, "Production", "varnish")).toBeNull(); // a folder
      expect(await readBlob(repo, "Staging", "section.config.json")).toBeNull();
      for (const branch of ["-Production", "a..b", "HEAD:x", "Pro duction", "x\nrefs/heads/Production"]) {
        expect(await readBlob(repo, branch, "section.config.json"), branch).toBeNull();
      }
      expect(await readBlob(repo, "Production", "../read.git/HEAD")).toBeNull();
      await expect(readBlob(path.join(work, "nowhere.git"), "Production", "x")).rejects.toBeInstanceOf(GitError);
    });

    it("lists every file of a branch with mode, id and size; null for a missing branch", async () => {
      const entries = await listTree(repo, "Production");
      expect(entries?.map((e) => e.path)).toEqual([
        ".gitignore",
        "a/b/c/deep.txt",
        "section.config.json",
        "unicode-é.txt",
        "varnish/default.vcl",
        "varnish/proxy-features.json",
      ]);
      expect(entries?.[0]).toEqual({
        path: ".gitignore",
        mode: "100644",
        type: "blob",
        oid: git("-C", repo, "rev-parse", "Production:.gitignore").trim(),
        size: FILES[".gitignore"].length,
      });
      expect(await listTree(repo, "Staging")).toBeNull();
      expect(await listTree(repo, "--output=/tmp/x")).toBeNull();
      await expect(listTree(path.join(work, "nowhere.git"), "Production")).rejects.toBeInstanceOf(GitError);
    });

    it("validates branch names as git check-ref-format --branch does", () => {
      const samples = [
        "Production",
        "Staging2",
        "feature/x",
        "a.b",
        "-x",
        "a..b",
        "a b",
        "a:b",
        "a~1",
        "a^",
        "x.lock",
        ".x",
        "x/",
        "x.",
        "a@{b",
        "a//b",
        "ü",
      ];
      for (const name of samples) {
        let valid = true;
        try {
          execFileSync("git", ["check-ref-format", "--branch", name], { env: gitEnv({}), cwd: os.tmpdir(), stdio: "pipe" });
        } catch {
          valid = false;
        }
        expect(isValidBranchName(name), name).toBe(valid);
      }
      // git-check-ref-format(1): a ref cannot be the single character "@" (`--branch` would expand it to HEAD).
      expect(isValidBranchName("@")).toBe(false);
    });
  });
});
