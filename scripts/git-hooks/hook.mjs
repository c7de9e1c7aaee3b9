// Edge Console's git hooks (githooks(5) pre-receive and post-receive), run by git-receive-pack(1) for pushes
// over HTTP; `core.hooksPath` points here (set by the console with `git -c` on each push, never stored).
// Forwards the ref updates read from standard input ("<old-oid> <new-oid> <ref-name>" lines) and the quarantine
// paths (GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES, GIT_QUARANTINE_PATH: the pushed objects until they
// are accepted) to the console on loopback, prints its messages to standard error (git shows them as "remote: …"),
// and exits 0 to accept or 1 to refuse. Any failure refuses the push: it fails closed.
//
// Usage (from the wrappers beside this file): node hook.mjs pre-receive|post-receive
// Environment, set by the console for git-http-backend(1): EDGE_CONSOLE_HOOK_URL, EDGE_CONSOLE_HOOK_SECRET,
// EDGE_CONSOLE_APPLICATION_ID, EDGE_CONSOLE_USER_ID, EDGE_CONSOLE_TOKEN_ID.

const TIMEOUT_MS = 60_000;
const phase = process.argv[2];
const env = process.env;
// After post-receive the refs have already moved: only the console's records (audit, new environments) are missing.
const failure = (why) =>
  phase === "post-receive"
    ? `The push was accepted, but Edge Console could not record it (${why}).`
    : `Edge Console could not check this push (${why}); nothing was changed. Try again later.`;

function say(line) {
  process.stderr.write(`${line}\n`);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function main() {
  if (phase !== "pre-receive" && phase !== "post-receive") {
    say(`Edge Console hook: unknown hook "${phase}"`);
    return 1;
  }
  if (!env.EDGE_CONSOLE_HOOK_URL || !env.EDGE_CONSOLE_HOOK_SECRET) {
    say("Edge Console refused this push: it did not come through the console.");
    return 1;
  }
  const updates = (await readStdin())
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [oldOid, newOid, ref] = line.split(" ");
      return { oldOid, newOid, ref };
    });
  const body = {
    applicationId: Number(env.EDGE_CONSOLE_APPLICATION_ID),
    userId: Number(env.EDGE_CONSOLE_USER_ID),
    tokenId: Number(env.EDGE_CONSOLE_TOKEN_ID),
    updates,
    quarantine: {
      objectDirectory: env.GIT_OBJECT_DIRECTORY || undefined,
      alternateObjectDirectories: env.GIT_ALTERNATE_OBJECT_DIRECTORIES || undefined,
      quarantinePath: env.GIT_QUARANTINE_PATH || undefined,
    },
  };
  let answer = null;
  let status = 0;
  try {
    const response = await fetch(`${env.EDGE_CONSOLE_HOOK_URL}/${phase}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${env.EDGE_CONSOLE_HOOK_SECRET}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    status = response.status;
    answer = await response.json().catch(() => null);
  } catch (error) {
    say(failure(error?.cause?.code ?? error?.name ?? "error"));
    return 1;
  }
  const messages = Array.isArray(answer?.messages) ? answer.messages : [];
  for (const line of messages) say(String(line));
  if (answer?.ok === true) return 0;
  if (messages.length === 0) say(failure(`HTTP ${status}`));
  return 1;
}

process.exitCode = await main();
