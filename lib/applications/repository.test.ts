import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeTransaction, one } from "@/db";
import { users } from "@/db/schema";
import { repositoriesDir, resetSettings } from "@/lib/config";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createApplication } from "./create";
import { cleanupInterruptedCreations, cloneUrl, newRepositoryDirName, readBranchFile, repositoryPath } from "./repository";

const HOUR = 3_600_000;

/** Makes `name` under the repositories folder (a folder with a file, like a repository) with an mtime `ageMs` ago. */
function leftover(name: string, ageMs: number, kind: "dir" | "file" = "dir") {
  const target = path.join(repositoriesDir(), name);
  fs.mkdirSync(repositoriesDir(), { recursive: true });
  if (kind === "dir") {
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, "HEAD"), "ref: refs/heads/Production\n");
  } else {
    fs.writeFileSync(target, "x");
  }
  const when = new Date(Date.now() - ageMs);
  fs.utimesSync(target, when, when);
  return target;
}

describe("application repositories", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeEach(() => {
    temp = makeTempDataDir("ec-repos-");
  });
  afterEach(() => temp.cleanup());

  it("start-up check removes old unreferenced repositories and *.tmp* leftovers, keeping referenced and fresh ones", async () => {
    const user = await writeTransaction((tx) => one(tx.insert(users).values({ email: "ada@example.com", passwordHash: "x" }).returning()));
    const created = await createApplication({
      actor: { id: user.id, email: user.email },
      account: { newName: "Acme" },
      hostname: { hostname: "www.example.com", unicode: "www.example.com", isApex: false },
      origin: { address: "203.0.113.7", protocol: "https", port: 443 },
      stackId: "empty",
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    const referenced = repositoryPath(created.application);
    const old = new Date(Date.now() - 2 * HOUR);
    fs.utimesSync(referenced, old, old);

    const orphan = newRepositoryDirName();
    leftover(orphan, 2 * HOUR);
    const fresh = newRepositoryDirName();
    leftover(fresh, 5_000);
    leftover("0123456789abcdef0123456789abcdef.git.tmp-4242", 2 * HOUR);
    leftover("upload.tmp", 2 * HOUR, "file");
    leftover("README", 2 * HOUR, "file"); // not ours: never removed
    leftover("lost+found", 2 * HOUR);

    expect(await cleanupInterruptedCreations()).toEqual([orphan, "0123456789abcdef0123456789abcdef.git.tmp-4242", "upload.tmp"].sort());
    expect(fs.readdirSync(repositoriesDir()).sort()).toEqual([created.application.repoDir, fresh, "README", "lost+found"].sort());
    expect(await readBranchFile(created.application, "Production", ".gitignore")).toBe("local.config.json\n");

    // The fresh one goes once it is older than the threshold; a second run finds nothing else.
    expect(await cleanupInterruptedCreations({ olderThanMs: 1_000 })).toEqual([fresh]);
    expect(await cleanupInterruptedCreations({ olderThanMs: 0 })).toEqual([]);
  });

  it("start-up check is a no-op without a repositories folder", async () => {
    expect(fs.existsSync(repositoriesDir())).toBe(false);
    expect(await cleanupInterruptedCreations()).toEqual([]);
  });

  it("resolves repository paths only inside the repositories folder", () => {
    expect(repositoryPath({ repoDir: "abc.git" })).toBe(path.join(temp.dir, "repositories", "abc.git"));
    for (const bad of ["", ".", "..", "../x.git", "a/b.git", "a\\b"]) {
      expect(() => repositoryPath({ repoDir: bad }), bad).toThrow(TypeError);
    }
    expect(newRepositoryDirName()).toMatch(/^[0-9a-f]{32}\.git$/);
    expect(newRepositoryDirName()).not.toBe(newRepositoryDirName());
  });

  it("builds the clone URL of docs/product.md §3.6 from APP_URL", () => {
    const previous = process.env.APP_URL;
    process.env.APP_URL = "https://console.example.com/";
    resetSettings();
    try {
      expect(cloneUrl({ id: 7, accountId: 3, repoName: "www.example.com" })).toBe(
        "https://console.example.com/git/account/3/application/7/www.example.com.git",
      );
    } finally {
      if (previous === undefined) delete process.env.APP_URL;
      else process.env.APP_URL = previous;
      resetSettings();
    }
  });
});
