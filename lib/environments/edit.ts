import { readBlobAt, writeTreeWithChanges } from "@/lib/git/commit";
import { diffTrees, type DiffText } from "@/lib/git/diff";
import { isSafeTreePath } from "@/lib/git/names";
import { isObjectId, resolveBranch } from "@/lib/git/refs";
import { auditActor, auditBranchMove, commitAuthor, type Actor } from "@/lib/repositories/changes";
import { repositoryPath } from "@/lib/repositories/paths";
import { applyLineEnding, decodeUtf8Text, detectLineEnding } from "@/lib/section-config/encoding";
import { parseSectionConfig, parseSectionConfigJson, type SectionConfigIssue } from "@/lib/section-config/schema";
import { commitToEnvironment, CONFIG_FILE } from "./commit";
import type { ApplicationRow, EnvironmentRow } from "@/db/types";

/** Largest file the browser editor saves (bytes of UTF-8). */
export const MAX_EDITABLE_BYTES = 256 * 1024;

/** True when a file of this mode and size can be edited as text in the browser (regular file, not too big). */
export function isEditable(entry: { mode: string; size: number | null }): boolean {
  return (entry.mode === "100644" || entry.mode === "100755") && entry.size !== null && entry.size <= MAX_EDITABLE_BYTES;
}

export type SaveFileInput = {
  application: Pick<ApplicationRow, "id" | "accountId" | "repoDir">;
  environment: Pick<EnvironmentRow, "id" | "name">;
  actor: Actor;
  /** An existing file of the branch, e.g. `section.config.json` or `varnish/default.vcl`. */
  path: string;
  /**
   * The new text. It is stored with the file's own line endings (CRLF stays CRLF, whatever the browser sent), its
   * byte order mark if it had one, and its final line break.
   */
  content: string;
  /** The branch head when the editor opened. */
  baseCommit: string;
  /** Commit message; empty → "Update <path>". */
  message: string;
};

export type SaveFileResult =
  | { ok: true; commit: string }
  | { ok: false; code: "stale"; head: string; diff: DiffText; message: string }
  | { ok: false; code: "invalid"; issues: SectionConfigIssue[]; message: string }
  | { ok: false; code: "unchanged" | "bad_request"; message: string };

/**
 * Saves one file of an environment's branch from the browser editor (docs/product.md §3.4) as a commit authored by the user.
 * Refused, nothing written: a path that is not an editable file of `baseCommit`; no change; a STALE save — the
 * branch is no longer at `baseCommit` (checked first, and again by the compare-and-swap that moves the branch) —
 * answered with the diff from `baseCommit` to the current head so the user sees what changed meanwhile; a JSON
 * file with a syntax error (line/column); a `section.config.json` (the new tree's, always) that the validator
 * refuses for this environment, with key paths. Writes the `config.commit` audit row. GitError is thrown.
 */
export async function saveFile(input: SaveFileInput): Promise<SaveFileResult> {
  const repoPath = repositoryPath(input.application);
  const branch = input.environment.name;
  if (!isObjectId(input.baseCommit) || !isSafeTreePath(input.path))
    return { ok: false, code: "bad_request", message: "The editor's form was not understood; reload the page." };
  let content = input.content.replace(/\r\n?/g, "\n");
  if (Buffer.byteLength(content) > MAX_EDITABLE_BYTES) {
    return {
      ok: false,
      code: "bad_request",
      message: `The file is too large to save from the browser (at most ${MAX_EDITABLE_BYTES / 1024} KiB); push it with git.`,
    };
  }

  const head = await resolveBranch(repoPath, branch);
  if (!head) return { ok: false, code: "bad_request", message: `The ${branch} branch does not exist any more.` };
  if (head !== input.baseCommit) return stale(repoPath, input.baseCommit, head);

  const current = await readBlobAt(repoPath, head, input.path);
  if (!current || !isEditable({ mode: current.mode, size: current.size })) {
    return { ok: false, code: "bad_request", message: `${input.path} is not a file that can be edited here.` };
  }
  // The file as stored may be CRLF and start with a BOM; the browser sends LF (or CRLF) text without a BOM. Compare
  // in LF form, then store the new text the way the file was written, so History shows only the real change.
  const decoded = decodeUtf8Text(current.content, input.path);
  if (!decoded.ok) return { ok: false, code: "bad_request", message: decoded.problem.message };
  const before = decoded.text.replace(/\r\n?/g, "\n");
  content = content.replace(/^\uFEFF/, "");
  // Keep the file's final line break when the browser's text lost it (as editors do), so diffs stay clean.
  if (before.endsWith("\n") && content !== "" && !content.endsWith("\n")) content += "\n";
  if (before === content) return { ok: false, code: "unchanged", message: "Nothing changed: edit the file before saving." };
  const stored = (decoded.bom ? "\uFEFF" : "") + applyLineEnding(content, detectLineEnding(decoded.text));

  const issues = checkText(input.path, stored, branch);
  if (issues.length > 0) return { ok: false, code: "invalid", issues, message: "The file was not saved: fix the problems listed." };

  const mode = current.mode === "100755" ? "100755" : "100644";
  const tree = await writeTreeWithChanges(repoPath, head, [{ path: input.path, content: stored, mode }]);
  const message = input.message.trim().slice(0, 2000) || `Update ${input.path}`;
  const committed = await commitToEnvironment({
    repoPath,
    environment: branch,
    expectedHead: head,
    tree,
    parents: [head],
    message,
    author: await commitAuthor(input.actor),
  });
  if (!committed.ok) {
    if (committed.code === "moved") return stale(repoPath, input.baseCommit, (await resolveBranch(repoPath, branch)) ?? head);
    return { ok: false, code: "invalid", issues: committed.issues, message: "The file was not saved: fix the problems listed." };
  }
  await auditBranchMove(
    {
      accountId: input.application.accountId,
      actor: auditActor(input.actor),
      action: "config.commit",
      targetType: "environment",
      targetId: input.environment.id,
      targetLabel: branch,
      data: {
        applicationId: input.application.id,
        path: input.path,
        commit: committed.commit,
        parent: head,
        message: message.split("\n")[0],
      },
    },
    { repoPath, branch, from: head, to: committed.commit },
  );
  return { ok: true, commit: committed.commit };
}

/**
 * Problems of a file's text before committing: the config validator for `section.config.json`; for other `.json`
 * files, JSON syntax (line/column) and keys that appear twice in one object (by key path).
 */
export function checkText(filePath: string, content: string, environment: string): SectionConfigIssue[] {
  if (filePath === CONFIG_FILE) {
    const parsed = parseSectionConfig(content, { environment });
    return parsed.ok ? [] : parsed.issues;
  }
  if (filePath.endsWith(".json")) {
    const parsed = parseSectionConfigJson(content);
    return parsed.ok
      ? []
      : parsed.issues.map((issue) => ({ ...issue, message: issue.message.replace(/section\.config\.json/g, filePath) }));
  }
  return [];
}

async function stale(repoPath: string, base: string, head: string): Promise<SaveFileResult> {
  return {
    ok: false,
    code: "stale",
    head,
    diff: await diffTrees(repoPath, base, head),
    message:
      "Not saved: this environment changed since you opened the editor. Here is what changed meanwhile; your text is kept below so you can re-apply it on the current version.",
  };
}
