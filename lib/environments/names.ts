import os from "node:os";
import { ambiguousRefNameReason, isValidBranchName } from "@/lib/git/names";
import { runGitWithStatus } from "@/lib/git/run";
import { ENVIRONMENT_NAME_PATTERN } from "@/lib/section-config/schema";

/** Longest environment name accepted (a branch name, shown in tabs and URLs). */
export const MAX_ENVIRONMENT_NAME_LENGTH = 40;

export type EnvironmentNameCheck = { ok: true; name: string } | { ok: false; message: string };

/**
 * Checks a new environment's name (docs/product.md "Environments") in this order, each with its own message: present;
 * `^[A-Za-z][A-Za-z0-9]*$` (naming the first character that breaks it, so `qa-eu` and `new landing` are told what
 * is wrong); at most 40 characters; not a name git clients read as another ref (`Head`, `Tags`, `Stash`, `Origin`:
 * {@link ambiguousRefNameReason}, gitrevisions(7), the same rule as pushed branches); then the real
 * `git check-ref-format --branch <name>` (git-check-ref-format(1)). git only runs for a name that passed the pattern, so it
 * starts with a letter and can never be read as an option (`--upload-pack=…` is refused before anything runs).
 * Uniqueness within the application is checked by the caller (and the database). Never throws for bad input.
 */
export async function checkEnvironmentName(raw: string): Promise<EnvironmentNameCheck> {
  const name = raw.trim();
  if (name.length === 0) return { ok: false, message: "Enter a name for the environment, e.g. Staging." };
  if (!ENVIRONMENT_NAME_PATTERN.test(name)) return { ok: false, message: patternMessage(name) };
  if (name.length > MAX_ENVIRONMENT_NAME_LENGTH) {
    return { ok: false, message: `Environment names are at most ${MAX_ENVIRONMENT_NAME_LENGTH} characters.` };
  }
  const ambiguity = ambiguousRefNameReason(name);
  if (ambiguity) return { ok: false, message: `“${name}” is a name git reserves: ${ambiguity}. Choose another one.` };
  if (!isValidBranchName(name) || !(await gitAcceptsBranchName(name))) {
    return { ok: false, message: `“${name}” is a name git reserves; choose another one.` };
  }
  return { ok: true, name };
}

function patternMessage(name: string): string {
  const rule = "Environment names start with a letter and contain only letters and digits (e.g. Staging, QaEu, Staging2).";
  if (!/^[A-Za-z]/.test(name)) return `The name must start with a letter. ${rule}`;
  const bad = [...name].find((c) => !/[A-Za-z0-9]/.test(c)) ?? "";
  const what = bad === " " ? "a space" : /\s/.test(bad) ? "a blank" : `“${bad}”`;
  return `The name cannot contain ${what}. ${rule}`;
}

/** `git check-ref-format --branch <name>` outside any repository; true when git exits 0. */
async function gitAcceptsBranchName(name: string): Promise<boolean> {
  if (name.startsWith("-")) return false; // never hand git something it could read as an option
  const result = await runGitWithStatus(["check-ref-format", "--branch", name], { cwd: os.tmpdir() });
  return result.exitCode === 0;
}
