// Reads what git-merge-tree(1) `--write-tree -z` prints (without `--name-only` and `--no-messages`) and names the
// KIND of each conflicting file, so a page can say "deleted in Production, changed in Staging" rather than only
// listing the file. Output format (git-merge-tree(1), "OUTPUT" with -z), NUL-separated:
//   <tree oid> NUL
//   <mode> SP <object> SP <stage> TAB <path> NUL      (the "Conflicted file info", once per stage present)
//   NUL
//   <number of paths> NUL <path> NUL … <conflict type> NUL <message> NUL    (the "Informational messages")
// Conflict types are git's stable short descriptions from merge-ort.c, e.g. "CONFLICT (contents)" (whose message
// says "CONFLICT (content)" or "CONFLICT (add/add)"), "CONFLICT (binary)", "CONFLICT (modify/delete)",
// "CONFLICT (rename/delete)", "CONFLICT (rename/rename)", "CONFLICT (file/directory)"; "Auto-merging" is not one.

/** What kind of disagreement makes a file conflict; `config-keys`: `section.config.json` keys changed two ways. */
export type ConflictKind =
  "content" | "add/add" | "modify/delete" | "binary" | "rename" | "file/directory" | "mode" | "config-keys" | "other";

/** One conflicting file: its path, the kind, a sentence for people, and for `config-keys` the key paths. */
export type FileConflict = { path: string; kind: ConflictKind; message: string; keyPaths?: string[] };

/** One line of the "Conflicted file info": stage 1 = merge base, 2 = ours, 3 = theirs (a missing stage = absent there). */
export type ConflictStage = { mode: string; oid: string; stage: 1 | 2 | 3; path: string };

/** One informational message: the paths it is about, git's conflict type and its text. */
export type MergeTreeMessage = { paths: string[]; type: string; text: string };

export type MergeTreeOutput = { tree: string; stages: ConflictStage[]; messages: MergeTreeMessage[] };

/** Names for the two sides in messages, e.g. `{ ours: "Production", theirs: "Staging" }`. */
export type MergeLabels = { ours: string; theirs: string };

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** Parses git-merge-tree(1) `--write-tree -z` standard output; null when it is not in that format. Pure. */
export function parseMergeTreeOutput(stdout: Buffer | string): MergeTreeOutput | null {
  const fields = (typeof stdout === "string" ? stdout : stdout.toString("utf8")).split("\0");
  const tree = fields[0];
  if (!OID.test(tree)) return null;
  const stages: ConflictStage[] = [];
  let i = 1;
  for (; i < fields.length && fields[i] !== ""; i++) {
    const match = /^(\d{6}) ([0-9a-f]+) ([123])\t(.*)$/s.exec(fields[i]);
    if (!match) return null;
    stages.push({ mode: match[1], oid: match[2], stage: Number(match[3]) as 1 | 2 | 3, path: match[4] });
  }
  i++; // the empty field that ends the conflicted file info
  const messages: MergeTreeMessage[] = [];
  while (i < fields.length && fields[i] !== "") {
    const count = Number(fields[i]);
    if (!Number.isInteger(count) || count < 0 || i + count + 2 >= fields.length) return null;
    const paths = fields.slice(i + 1, i + 1 + count);
    messages.push({ paths, type: fields[i + 1 + count], text: fields[i + 2 + count].trim() });
    i += count + 3;
  }
  return { tree, stages, messages };
}

// When one file has several messages (a binary conflict also reports "CONFLICT (content)"), the most telling wins.
const PRIORITY: ConflictKind[] = ["other", "content", "add/add", "mode", "file/directory", "modify/delete", "rename", "binary"];

/** The kind a message reports, or null for messages that are not about a conflict ("Auto-merging …"). */
export function kindOfMessage(message: Pick<MergeTreeMessage, "type" | "text">): ConflictKind | null {
  const type = message.type;
  if (type === "CONFLICT (binary)") return "binary";
  if (type === "CONFLICT (contents)") return message.text.startsWith("CONFLICT (add/add)") ? "add/add" : "content";
  if (type === "CONFLICT (modify/delete)") return "modify/delete";
  if (type === "CONFLICT (file/directory)") return "file/directory";
  if (type === "CONFLICT (distinct modes)" || type === "CONFLICT (distinct types)") return "mode";
  if (/^CONFLICT ?\(.*rename/.test(type)) return "rename";
  if (type.startsWith("CONFLICT")) return "other";
  return null;
}

/**
 * One {@link FileConflict} per conflicting path (the paths of the conflicted file info, sorted), its kind from the
 * messages about it and a sentence using `labels` for the sides (git's own text, with the commit ids replaced by
 * the labels, where no better sentence exists). `ours`/`theirs` are the commit ids git was given. Pure.
 */
export function classifyConflicts(output: MergeTreeOutput, ids: { ours: string; theirs: string }, labels: MergeLabels): FileConflict[] {
  const relabel = (text: string) => text.split(ids.ours).join(labels.ours).split(ids.theirs).join(labels.theirs);
  // The conflicted file info names every unmerged path; should it be empty, the paths of the CONFLICT messages.
  const fromMessages = output.messages.filter((m) => kindOfMessage(m) !== null).flatMap((m) => m.paths);
  const paths = [...new Set(output.stages.length > 0 ? output.stages.map((s) => s.path) : fromMessages)].sort();
  return paths.map((path) => {
    let kind: ConflictKind = "other";
    const texts: string[] = [];
    for (const message of output.messages) {
      if (!message.paths.includes(path)) continue;
      const found = kindOfMessage(message);
      if (!found) continue;
      texts.push(relabel(message.text.replace(/^(CONFLICT ?\([^)]*\)|warning): /, "")));
      if (PRIORITY.indexOf(found) > PRIORITY.indexOf(kind)) kind = found;
    }
    const has = (stage: number) => output.stages.some((s) => s.path === path && s.stage === stage);
    return { path, kind, message: describe(kind, { ours: has(2), theirs: has(3) }, labels, texts) };
  });
}

function describe(kind: ConflictKind, present: { ours: boolean; theirs: boolean }, labels: MergeLabels, texts: string[]): string {
  const both = `${labels.ours} and ${labels.theirs}`;
  switch (kind) {
    case "content":
      return `changed in both ${both}, in different ways`;
    case "add/add":
      return `added in both ${both}, with different content`;
    case "binary":
      return `a binary file changed in both ${both}; binary files cannot be merged, keep one version`;
    case "modify/delete":
      if (!present.ours) return `deleted in ${labels.ours}, changed in ${labels.theirs}`;
      if (!present.theirs) return `changed in ${labels.ours}, deleted in ${labels.theirs}`;
      return texts.join(" ");
    default:
      return texts.join(" ") || `changed in both ${both}, in ways git cannot merge`;
  }
}
