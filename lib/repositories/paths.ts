import crypto from "node:crypto";
import path from "node:path";
import { repositoriesDir } from "@/lib/config";

// Where an application's bare repository lives (docs/architecture.md "An application"): `DATA_DIR/repositories/
// <32 hex>.git`, a random folder name the applications row points at. Below lib/applications and lib/environments,
// which both need it.

/** Folder names of repositories made by the console: `<32 hex>.git`. */
export const REPOSITORY_DIR_NAME = /^[0-9a-f]{32}\.git$/;

/** A fresh folder name for a new repository: 16 random bytes in hex + `.git`. */
export function newRepositoryDirName(): string {
  return `${crypto.randomBytes(16).toString("hex")}.git`;
}

/**
 * Absolute path of an application's bare repository: `repositoriesDir()/<repoDir>`.
 * Throws TypeError when `repoDir` is not a single folder name (a corrupted row must not point elsewhere).
 */
export function repositoryPath(application: { repoDir: string }): string {
  const name = application.repoDir;
  if (!name || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.includes("\0")) {
    throw new TypeError(`Invalid repository folder name: ${JSON.stringify(name)}`);
  }
  return path.join(repositoriesDir(), name);
}
