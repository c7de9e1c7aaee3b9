import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeTransaction, one } from "@/db";
import { accounts, applications } from "@/db/schema";
import { trashDir } from "@/lib/accounts/delete";
import { archiveDir, repositoriesDir } from "@/lib/config";
import { startScheduler } from "@/lib/dns/scheduler";
import { startLeaderElection, stopLeaderElection } from "@/lib/cluster/leader";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { leftoversJob, settleInterruptedOperations } from "./leftovers";

// Leftovers of interrupted creations and deletions are settled by the background scheduler once older than 60 s,
// without a restart (docs/product.md §7), and never while they may still belong to an operation in progress.
let temp: { dir: string; cleanup: () => void };
beforeEach(() => {
  temp = makeTempDataDir("ec-leftovers-");
  fs.mkdirSync(repositoriesDir(), { recursive: true });
});
afterEach(async () => {
  await stopLeaderElection();
  temp.cleanup();
});

const MINUTES = 60_000;
const newName = () => `${crypto.randomBytes(16).toString("hex")}.git`;

/** Makes `dir` (with a file inside) and dates it `ageMs` ago. */
function folder(dir: string, ageMs: number): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "HEAD"), "ref: refs/heads/Production\n");
  backdate(dir, ageMs);
  return dir;
}
function backdate(dir: string, ageMs: number): void {
  const at = new Date(Date.now() - ageMs);
  fs.utimesSync(dir, at, at);
}

/** An application row whose repository folder is `repoDir` (its creation committed). */
async function applicationRow(repoDir: string): Promise<void> {
  await writeTransaction(async (tx) => {
    const account = await one(
      tx
        .insert(accounts)
        .values({ name: `Acme ${repoDir.slice(0, 6)}` })
        .returning(),
    );
    await tx.insert(applications).values({ accountId: account.id, name: "shop", repoName: "shop", repoDir, stackId: "varnish" });
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the scheduler's leftovers check", () => {
  it("removes an unreferenced repository folder older than 60 s on a tick, without a restart; keeps a fresh one and a referenced one", async () => {
    const orphan = folder(path.join(repositoriesDir(), newName()), 2 * MINUTES);
    const fresh = folder(path.join(repositoriesDir(), newName()), 0); // a creation still building its repository
    const createdName = newName();
    const created = folder(path.join(repositoriesDir(), createdName), 2 * MINUTES);
    await applicationRow(createdName); // its rows are committed: it is an application's repository now
    await startLeaderElection(); // the maintenance job is the leader's (PostgreSQL); this process is the only candidate
    const scheduler = startScheduler({ intervalMs: 20, maintenance: leftoversJob(0) });
    try {
      await waitFor(() => !fs.existsSync(orphan));
    } finally {
      await scheduler.stop();
    }
    expect(fs.existsSync(fresh)).toBe(true);
    expect(fs.existsSync(created)).toBe(true);
  });

  it("waits for its interval: a leftovers check runs at most once per its interval", async () => {
    const orphan = folder(path.join(repositoriesDir(), newName()), 2 * MINUTES);
    const scheduler = startScheduler({ intervalMs: 20, maintenance: leftoversJob(60 * MINUTES) });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // several sweeps, no leftovers check yet
      expect(fs.existsSync(orphan)).toBe(true);
    } finally {
      await scheduler.stop();
    }
  });
});

describe("settleInterruptedOperations", () => {
  it("settles an interrupted account deletion's trash older than 60 s: restores what has rows, removes the rest", async () => {
    const kept = newName();
    await applicationRow(kept); // the deletion did not commit: the row is still there
    const gone = newName();
    const staging = path.join(trashDir(), crypto.randomUUID());
    folder(path.join(staging, kept), 2 * MINUTES);
    folder(path.join(staging, gone), 2 * MINUTES);
    const young = path.join(trashDir(), crypto.randomUUID());
    folder(path.join(young, newName()), 0);
    backdate(staging, 2 * MINUTES);

    const report = await settleInterruptedOperations();
    expect(report).toMatchObject({ trashRestored: [kept], trashRemoved: [gone], creationsRemoved: [] });
    expect(fs.existsSync(path.join(repositoriesDir(), kept))).toBe(true);
    expect(fs.existsSync(staging)).toBe(false);
    expect(fs.existsSync(young)).toBe(true); // a deletion in progress elsewhere
  });

  it("moves an archived repository back while its row remains, once the last move into the archive is 60 s old", async () => {
    const repoDir = newName();
    await applicationRow(repoDir); // the deletion did not commit
    const archived = folder(path.join(archiveDir(), `${repoDir.replace(/\.git$/, "")}-20300101T000000Z.git`), 2 * MINUTES);
    // Just moved: a deletion may be about to commit, so the archive is left alone.
    expect(await settleInterruptedOperations()).toMatchObject({ archivesRestored: [], archivesDeferred: true });
    expect(fs.existsSync(archived)).toBe(true);
    backdate(archiveDir(), 2 * MINUTES);
    expect(await settleInterruptedOperations()).toMatchObject({ archivesRestored: [repoDir], archivesDeferred: false });
    expect(fs.existsSync(path.join(repositoriesDir(), repoDir))).toBe(true);
    expect(fs.existsSync(archived)).toBe(false);
  });

  it("at start-up restores archives at once (no deletion of this server can be running)", async () => {
    const repoDir = newName();
    await applicationRow(repoDir);
    folder(path.join(archiveDir(), `${repoDir.replace(/\.git$/, "")}-20300101T000000Z.git`), 2 * MINUTES);
    expect(await settleInterruptedOperations({ atStart: true })).toMatchObject({ archivesRestored: [repoDir] });
  });
});
