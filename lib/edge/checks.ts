import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { getDb, writeTransaction, first } from "@/db";
import { edgeCheckCache } from "@/db/schema";
import { chainPolicy, checkChain, MODULE_ORDER, renderChain, toolVersions, type ChainInput } from "@/edge/modules";
import { settings } from "@/lib/config";
import { runGit } from "@/lib/git";
import { log } from "@/lib/log";

// The console's side of docs/edge.md "Checks on the console": every commit that lands on an environment branch
// (editor, API, promote, revert, environment creation through lib/environments/commit.ts; pushes through
// lib/git-http/receive.ts checkPush) runs the edge's own policy and tools (edge/modules) over the module files,
// rendered with placeholder ports. Verdicts are cached per content in `edge_check_cache`.

/** The verdict of {@link checkEnvironmentFiles}: `tool` is "policy" or the tool that refused; `path` the file named. */
export type EdgeCheckResult = { ok: true } | { ok: false; tool: string; message: string; path?: string };

/** Largest total size of module files read from one commit (bytes), as the desired state's cap (docs/edge.md). */
export const MAX_MODULE_BYTES = 1024 * 1024;

/** The repository folders of the modules: the files the edge receives and checks. */
const MODULE_FOLDERS = MODULE_ORDER.map((m) => `${m}/`);

const loggedMissing = new Set<string>();

/**
 * Runs the edge's checks for one environment's proxy chain over its module files (path → UTF-8 text): the chain
 * policy (docs/product.md §8: known modules, order, once each, code modules only with `allowCodeModules`), then
 * each module's policy and rendering, then the tools (`varnishd -C`, `nginx -t`, `node --check`) where they are
 * installed — a missing tool gives one log line and the policy's verdict. Renders into a temporary folder (removed
 * afterwards) with placeholder loopback ports. Tool verdicts are cached by SHA-256 over the tool versions, the chain,
 * `allowCodeModules` and the files. Never throws for bad files; rejects on database or file-system failures.
 */
export async function checkEnvironmentFiles(params: {
  chain: readonly string[];
  files: Readonly<Record<string, string>>;
  allowCodeModules: boolean;
}): Promise<EdgeCheckResult> {
  const { chain, allowCodeModules } = params;
  const policy = chainPolicy(chain, allowCodeModules);
  if (policy) return { ok: false, tool: policy.tool, message: policy.message };
  if (chain.length === 0) return { ok: true };
  const files = Object.fromEntries(
    Object.entries(params.files)
      .filter(([p]) => MODULE_FOLDERS.some((f) => p.startsWith(f)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const versions = await toolVersions();
  const key = createHash("sha256").update(JSON.stringify({ versions, chain, allowCodeModules, files })).digest("hex");
  const cached = await first(getDb().select().from(edgeCheckCache).where(eq(edgeCheckCache.key, key)));
  if (cached) return cached.ok ? { ok: true } : withPath({ ok: false, tool: cached.tool, message: cached.message ?? "refused" });

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "edge-check-"));
  let verdict: EdgeCheckResult;
  try {
    await fs.chmod(dir, 0o755); // varnishd, run as root, compiles as its own user
    const input: ChainInput = {
      key: "e0",
      chain,
      files,
      listen: chain.map((_, i) => ({ host: "127.0.0.1", port: i + 1 })),
      lastHop: { host: "127.0.0.1", port: 9 },
      hopToken: "console-check",
      allowCodeModules,
      dir: path.join(dir, "env"),
      vclName: "console_check",
    };
    const rendered = await renderChain(input);
    if (!rendered.ok) verdict = { ok: false, tool: rendered.tool, message: rendered.message };
    else {
      const checked = await checkChain(rendered, input);
      if (checked.ok) {
        for (const tool of checked.skipped) {
          if (loggedMissing.has(tool)) continue;
          loggedMissing.add(tool);
          log.info(`edge checks: ${tool} is not installed here; commits are judged by the platform's policy alone for its modules`);
        }
        verdict = { ok: true };
      } else verdict = { ok: false, tool: checked.tool, message: checked.message };
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  await writeTransaction(async (tx) => {
    await tx
      .insert(edgeCheckCache)
      .values({
        key,
        ok: verdict.ok,
        tool: verdict.ok ? "all" : verdict.tool,
        message: verdict.ok ? null : verdict.message,
        checkedAt: new Date(),
      })
      .onConflictDoNothing();
  });
  return withPath(verdict);
}

function withPath(verdict: EdgeCheckResult): EdgeCheckResult {
  if (verdict.ok) return verdict;
  const file = /^([A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+): /.exec(verdict.message)?.[1];
  return file ? { ...verdict, path: file } : verdict;
}

/**
 * The module files of commit or tree `rev` (paths under modsecurity/, openresty/, varnish/, nodejs/ → UTF-8 text),
 * read with `env` (e.g. git's quarantine variables during pre-receive). Binary files are skipped; more than
 * {@link MAX_MODULE_BYTES} in total is an error sentence.
 */
export async function readModuleFiles(
  repoPath: string,
  rev: string,
  env: Record<string, string> = {},
): Promise<{ ok: true; files: Record<string, string> } | { ok: false; message: string }> {
  const listing = (await runGit(["ls-tree", "-r", "-z", "-l", rev, "--", ...MODULE_FOLDERS], { gitDir: repoPath, env })).toString("utf8");
  const files: Record<string, string> = {};
  let total = 0;
  for (const entry of listing.split("\0")) {
    const m = /^\d+ blob ([0-9a-f]+)\s+(\d+)\t(.+)$/.exec(entry);
    if (!m) continue;
    total += Number(m[2]);
    if (total > MAX_MODULE_BYTES) return { ok: false, message: `the module files are larger than ${MAX_MODULE_BYTES / 1024} KiB together` };
    const bytes = await runGit(["cat-file", "blob", m[1]], { gitDir: repoPath, env });
    if (bytes.includes(0)) continue;
    files[m[3]] = bytes.toString("utf8").replace(/^\uFEFF/, "");
  }
  return { ok: true, files };
}

/**
 * Largest custom error page the edge serves, in bytes (edge/haproxy/render.ts: HAProxy holds an error page in one
 * buffer); a larger `custom_errors/502.html` or `503.html` would be replaced by the platform's page on the node.
 */
export const MAX_CUSTOM_ERROR_BYTES = 12_000;

/**
 * The refusal for a custom error page of `rev` over {@link MAX_CUSTOM_ERROR_BYTES} (docs/edge.md "One request",
 * error pages), or null. Reads sizes only (`git ls-tree -l`).
 */
async function customErrorPagesRefusal(repoPath: string, rev: string, env: Record<string, string>): Promise<EdgeCheckResult | null> {
  const pages = ["custom_errors/502.html", "custom_errors/503.html"];
  const listing = (await runGit(["ls-tree", "-z", "-l", rev, "--", ...pages], { gitDir: repoPath, env })).toString("utf8");
  for (const entry of listing.split("\0")) {
    const m = /^\d+ blob [0-9a-f]+\s+(\d+)\t(.+)$/.exec(entry);
    if (!m || Number(m[1]) <= MAX_CUSTOM_ERROR_BYTES) continue;
    const size = Number(m[1]).toLocaleString("en-US");
    return {
      ok: false,
      tool: "policy",
      path: m[2],
      message: `${m[2]}: ${size} bytes; the edge serves error pages of at most ${MAX_CUSTOM_ERROR_BYTES.toLocaleString("en-US")} bytes`,
    };
  }
  return null;
}

/**
 * The check of a commit about to land on an environment branch (lib/environments/commit.ts, lib/git-http/receive.ts):
 * custom error pages over {@link MAX_CUSTOM_ERROR_BYTES}, {@link readModuleFiles} of `rev`, then
 * {@link checkEnvironmentFiles} for `chain` with the console's
 * `allowCodeModules` (EDGE_ALLOW_CODE_MODULES). The message reads like the validator's, naming the file and the
 * tool, e.g. `varnish/default.vcl: varnishd refused it: … (line 12, column 5)`.
 */
export async function checkEdgeCommit(params: {
  repoPath: string;
  rev: string;
  chain: readonly string[];
  env?: Record<string, string>;
}): Promise<EdgeCheckResult> {
  const allowCodeModules = settings().allowCodeModules;
  const policy = chainPolicy(params.chain, allowCodeModules);
  if (policy) return { ok: false, tool: policy.tool, message: policy.message };
  const pages = await customErrorPagesRefusal(params.repoPath, params.rev, params.env ?? {});
  if (pages) return pages;
  if (params.chain.length === 0) return { ok: true };
  const read = await readModuleFiles(params.repoPath, params.rev, params.env);
  if (!read.ok) return { ok: false, tool: "policy", message: read.message };
  return checkEnvironmentFiles({ chain: params.chain, files: read.files, allowCodeModules });
}

/**
 * A refusal of {@link checkEdgeCommit} as a validator issue (lib/section-config `SectionConfigIssue`): the chain
 * rules at the key path `proxychain`, module files and tools as a whole-file issue whose message names the file.
 */
export function edgeIssue(result: Extract<EdgeCheckResult, { ok: false }>): { path: string; message: string } {
  return result.message.startsWith("proxychain: ")
    ? { path: "proxychain", message: result.message.slice("proxychain: ".length) }
    : { path: "", message: result.message };
}
