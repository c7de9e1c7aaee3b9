import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { resetSettings } from "@/lib/config";
import { closeDb, openDatabase } from "@/db";

/**
 * Points `DATA_DIR` at a fresh temporary folder and opens a migrated SQLite file there.
 * Returns the folder and a cleanup function that closes the database and removes the folder.
 */
export function makeTempDataDir(prefix = "ec-test-"): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.env.DATA_DIR = dir;
  resetSettings();
  closeDb();
  openDatabase();
  return {
    dir,
    cleanup: () => {
      closeDb();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
