import { resetSettings } from "@/lib/config";

/**
 * Sets environment variables for a test file and returns the function that puts the previous values back (unset
 * ones are deleted again) and drops the cached settings, so the next file reads its own environment.
 */
export function setTestEnv(vars: Record<string, string>): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  resetSettings();
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetSettings();
  };
}
