import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { writeTransaction, one } from "@/db";
import { users } from "@/db/schema";
import { createApiToken } from "@/lib/api-tokens";
import { createApplication, repositoryPath } from "@/lib/applications/create";
import { resetSettings } from "@/lib/config";
import { gitEnv, runGit, runGitText } from "@/lib/git";
import { startGitHttpServer } from "@/lib/testing/git-http-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";

/**
 * One way of cloning the same bare repository, `runs` times. `http`: `git clone` over smart HTTP through the
 * console's handler (token auth, SQLite lookups, git-http-backend as CGI, streamed), protocol v2 and v0;
 * `disk --no-local`: the same pack exchange with git-upload-pack(1) over pipes, no HTTP (the floor);
 * `disk (hardlinks)`: git's local clone, which copies no pack at all (for scale).
 */
export type GitCloneBenchRow = {
  kind: "http (v2)" | "http (v0)" | "disk --no-local" | "disk (hardlinks)";
  commits: number;
  runs: number;
  p50Ms: number;
  minMs: number;
  maxMs: number;
  /** HTTP requests per clone, as counted by the server (0 for disk clones). */
  requests: number;
};

type Run = { code: number | null; stderr: string };

function runGitAsync(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-c", "credential.helper=", ...args], { env: gitEnv(env), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/** Adds `count` commits on `branch` with git-fast-import(1) (each appends a line to `history.txt`). */
async function addCommits(repo: string, branch: string, count: number): Promise<void> {
  const parent = await runGitText(["rev-parse", `refs/heads/${branch}`], { gitDir: repo });
  const parts: string[] = [];
  let history = "";
  for (let i = 1; i <= count; i++) {
    history += `change ${i}: ${"x".repeat(40)}\n`;
    const message = `Change ${i}\n`;
    parts.push(
      `commit refs/heads/${branch}\ncommitter Bench <bench@example.com> ${1_700_000_000 + i} +0000\n`,
      `data ${Buffer.byteLength(message)}\n${message}`,
      i === 1 ? `from ${parent}\n` : "",
      `M 100644 inline history.txt\ndata ${Buffer.byteLength(history)}\n${history}\n`,
    );
  }
  await runGit(["fast-import", "--quiet"], { gitDir: repo, input: parts.join("") });
  await runGit(["gc", "--quiet"], { gitDir: repo });
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Benchmarks cloning an application repository of `commits` (default 1,000) commits: over HTTP through the
 * console's git handler (mounted on a loopback node server in this process, the same code the Next route calls:
 * building and starting the whole console would mostly measure Next's own start-up), next to plain clones of the
 * same bare repository from disk. Each kind runs `runs` times (default 5) into a fresh folder. Temp DATA_DIR.
 */
export async function benchGitClone(options: { commits?: number; runs?: number } = {}): Promise<GitCloneBenchRow[]> {
  const commits = options.commits ?? 1000;
  const runs = options.runs ?? 5;
  const savedDataDir = process.env.DATA_DIR;
  const temp = makeTempDataDir("ec-bench-git-");
  const rows: GitCloneBenchRow[] = [];
  let server: Awaited<ReturnType<typeof startGitHttpServer>> | null = null;
  try {
    const user = await writeTransaction((db) =>
      one(db.insert(users).values({ email: "bench@example.com", name: "Bench", passwordHash: "x" }).returning()),
    );
    const created = await createApplication({
      actor: { id: user.id, name: "Bench" },
      account: { newName: "Bench apps" },
      hostname: { hostname: "www.bench.example", unicode: "www.bench.example", isApex: false },
      origin: { address: "203.0.113.7", protocol: "https", port: 443 },
      stackId: "varnish",
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    const repo = repositoryPath(created.application);
    await addCommits(repo, "Production", commits - 1);
    const total = Number(await runGitText(["rev-list", "--count", "Production"], { gitDir: repo }));
    if (total !== commits) throw new Error(`expected ${commits} commits, found ${total}`);

    const { value } = await createApiToken({ userId: user.id, name: "bench", readOnly: true });
    server = await startGitHttpServer();
    const url = `http://token:${value}@127.0.0.1:${server.port}/git/account/${created.account.id}/application/${created.application.id}/www.bench.example.git`;
    const target = path.join(temp.dir, "clones");
    fs.mkdirSync(target);

    const kinds: [GitCloneBenchRow["kind"], string[], boolean][] = [
      ["http (v2)", ["-c", "protocol.version=2", "clone", "--quiet", url], true],
      ["http (v0)", ["-c", "protocol.version=0", "clone", "--quiet", url], true],
      ["disk --no-local", ["clone", "--quiet", "--no-local", repo], false],
      ["disk (hardlinks)", ["clone", "--quiet", repo], false],
    ];
    // Warm-up: git's binaries and the repository's pack in the page cache.
    await runGitAsync(["clone", "--quiet", "--no-local", repo, path.join(target, "warm")]);
    for (const [kind, args, http] of kinds) {
      const times: number[] = [];
      const seen = requestCounter(temp.dir);
      for (let i = 0; i < runs; i++) {
        const dir = path.join(target, `${kind.replace(/\W+/g, "-")}-${i}`);
        const t0 = performance.now();
        const result = await runGitAsync([...args, dir], http ? { GIT_TRACE_CURL: seen.file, GIT_TRACE_CURL_NO_DATA: "1" } : {});
        times.push(performance.now() - t0);
        if (result.code !== 0) throw new Error(`${kind} clone failed: ${result.stderr}`);
        const count = await runGitText(["rev-list", "--count", "HEAD"], { cwd: dir });
        if (Number(count) !== commits) throw new Error(`${kind} clone has ${count} commits`);
      }
      const requests = http ? seen.count() / runs : 0;
      const sorted = [...times].sort((a, b) => a - b);
      rows.push({
        kind,
        commits,
        runs,
        p50Ms: round(sorted[Math.floor((runs - 1) / 2)]),
        minMs: round(sorted[0]),
        maxMs: round(sorted[runs - 1]),
        requests,
      });
    }
  } finally {
    await server?.close();
    temp.cleanup();
    if (savedDataDir === undefined) delete process.env.DATA_DIR;
    else process.env.DATA_DIR = savedDataDir;
    resetSettings();
  }
  return rows;
}

/** Counts HTTP requests git made, from its GIT_TRACE_CURL file (`=> Send header: GET …` / `POST …` lines). */
function requestCounter(dir: string): { file: string; count: () => number } {
  const file = path.join(dir, `curl-trace-${Math.random().toString(36).slice(2)}.log`);
  return {
    file,
    count: () => {
      if (!fs.existsSync(file)) return 0;
      return (fs.readFileSync(file, "utf8").match(/=> Send header: (GET|POST) /g) ?? []).length;
    },
  };
}

// `npx tsx bench/git-clone.ts [commits]` runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.table(await benchGitClone({ commits: Number(process.argv[2]) || 1000 }));
}
