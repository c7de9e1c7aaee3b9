import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { CONSOLE_LOG, EDGE_CONSOLE_LOG } from "./console-log";
import { E2E } from "./env";
import { PASSWORD } from "./people";

// Runs last (Playwright takes files in name order, one worker): reads everything the e2e consoles printed during the
// run (e2e/serve.ts and e2e/serve-edge.ts copy it to test-results/) and fails if a password, token, cookie, secret
// or private key of the run is in it (docs/architecture.md "Logs and metrics").

/** Passwords the specs type into password fields (at least 8 characters, the product's minimum), read from their source. */
function typedPasswords(): string[] {
  const out = new Set<string>([PASSWORD]);
  for (const file of fs.readdirSync(import.meta.dirname).filter((f) => f.endsWith(".spec.ts"))) {
    for (const line of fs.readFileSync(path.join(import.meta.dirname, file), "utf8").split("\n")) {
      if (!/password/i.test(line)) continue;
      for (const m of line.matchAll(/\.fill\("([^"]{8,})"\)/g)) out.add(m[1]);
    }
  }
  return [...out];
}

/** Shapes of the run's random credentials, whatever their values (tokens made through the UI are not known here). */
const CREDENTIAL_SHAPES: [string, RegExp][] = [
  ["an API token", /\bec_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/],
  ["an edge node token", /\ben_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/],
  ["an Auth.js session token (JWE)", /eyJ[A-Za-z0-9_-]{10,}\.\.[A-Za-z0-9_-]{10,}\./],
  ["an argon2 password hash", /\$argon2id?\$/],
  ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ["a link token", /\/(?:reset-password|invite|change-email(?:\/undo)?)\/[A-Za-z0-9_-]{20,}|[?&]token=[A-Za-z0-9_-]{20,}/],
  [
    "an unredacted secret field",
    /"(?:password|newPassword|currentPassword|token|secret|totpSecret|privateKey|cookie|authorization)":"(?!\[redacted\])/,
  ],
];

test("no password, token, cookie or secret of the run reaches the consoles' logs", async () => {
  expect(fs.existsSync(CONSOLE_LOG), `${CONSOLE_LOG} is written by e2e/serve.ts`).toBe(true);
  const logs = [CONSOLE_LOG, EDGE_CONSOLE_LOG].filter((file) => fs.existsSync(file));
  const literals = [...typedPasswords(), E2E.authSecret];
  expect(literals).toContain("correct horse battery");
  for (const file of logs) {
    const text = fs.readFileSync(file, "utf8");
    const lines = text.split("\n").filter((line) => line.trim());
    const json = lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
    if (file === CONSOLE_LOG) {
      // Meaningful only on the log of a whole run: the server's start line and one access line per request (pages
      // with link tokens included), each a JSON line with level and time.
      expect(json.some((l) => String(l.msg).startsWith("Edge Console listening on"))).toBe(true);
      const requests = json.filter((l) => l.msg === "request");
      expect(requests.length, `access lines in ${file} (run the whole console project, not this spec alone)`).toBeGreaterThanOrEqual(50);
      for (const l of json) expect(l).toEqual(expect.objectContaining({ level: expect.any(String), time: expect.any(String) }));
    }
    test.info().annotations.push({ type: "log", description: `${path.basename(file)}: ${lines.length} lines, ${json.length} JSON` });
    for (const secret of literals) expect(text.includes(secret), `${path.basename(file)} contains ${JSON.stringify(secret)}`).toBe(false);
    for (const [what, shape] of CREDENTIAL_SHAPES) {
      const found = lines.find((line) => shape.test(line));
      expect(found, `${path.basename(file)} contains ${what}`).toBeUndefined();
    }
  }
});
