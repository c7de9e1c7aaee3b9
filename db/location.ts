import path from "node:path";

/**
 * The console's data folder (`DATA_DIR`, default `./data`, resolved to an absolute path): the SQLite file, the
 * repositories and the generated secret live there (docs/product.md §6). Read from the environment on each call; the
 * one definition both db/ and lib/config use, so db/ needs nothing from lib/.
 */
export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.DATA_DIR || "./data");
}
