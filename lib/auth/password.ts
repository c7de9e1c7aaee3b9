import { hash, verify } from "@node-rs/argon2";

// argon2id (Algorithm.Argon2id = 2) with the OWASP-recommended minimums (m = 19 MiB, t = 2, p = 1).
const OPTIONS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password with argon2id (RFC 9106); returns the PHC string `$argon2id$v=19$...`. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** Verifies a password against a PHC string; false (never a throw) for a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// A real hash to verify against when the email is unknown, so both failures take the same time.
let decoy: Promise<string> | null = null;
/** Spends the time of one verification; used when the email matches no user (no timing oracle). */
export async function verifyDecoy(password: string): Promise<void> {
  decoy ??= hashPassword("decoy-password-never-valid");
  await verifyPassword(await decoy, password);
}
