// Name rules for what reaches git from outside: branch names and file paths inside a tree.

/** The default branch of every application repository = the Production environment (SPEC §5). */
export const PRODUCTION_BRANCH = "Production";

/**
 * True when `name` is a branch name git accepts (`git check-ref-format --branch` rules, git-check-ref-format(1)):
 * no control characters, space, `~ ^ : ? * [ \`, no `..`, `@{`, `//`, no component starting with `.` or ending in
 * `.lock`, not starting with `-` or `/`, not ending with `.` or `/`, not `@`.
 */
export function isValidBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255 || name === "@") return false;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  if (name.includes("..") || name.includes("@{") || name.includes("//")) return false;
  if (name.startsWith("-") || name.startsWith("/") || name.endsWith("/") || name.endsWith(".")) return false;
  return name.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock"));
}

/**
 * True when `path` is a file path git can store in a tree and that cannot escape it: relative, `/`-separated,
 * no empty, `.` or `..` segments, no `.git` segment (any case), no NUL or line break.
 */
export function isSafeTreePath(path: string): boolean {
  if (path.length === 0 || path.length > 4096 || /[\0\n\r]/.test(path)) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== ".." && part.toLowerCase() !== ".git");
}
