import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first, one } from "@/db";
import { accounts, auditEvents, environments, memberships, users, type Role } from "@/db/schema";
import { createApiToken, revokeApiToken } from "@/lib/api-tokens";
import { createApplication, repositoryPath } from "@/lib/applications/create";
import { gitEnv } from "@/lib/git";
import { startGitHttpServer } from "@/lib/testing/git-http-server";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { handleGitHttpRequest } from "./handler";
import { handleGitHookRequest } from "./hook-endpoint";
import { HOOK_SECRET_TTL_MS, pushHookSecret } from "./hooks";

// The real git CLI against the console's git handlers, mounted on a loopback node server in this process (the
// same handlers the Next routes call; e2e/git.spec.ts drives the built console). Hooks call back on loopback.

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs `git` asynchronously (the server answers in this same process) as a user would: no prompts, no helpers. */
function git(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-c", "credential.helper=", "-c", "core.askPass=", "-c", "init.defaultBranch=Production", ...args], {
      cwd: options.cwd,
      env: gitEnv({
        GIT_AUTHOR_NAME: "Dev",
        GIT_AUTHOR_EMAIL: "dev@example.com",
        GIT_COMMITTER_NAME: "Dev",
        GIT_COMMITTER_EMAIL: "dev@example.com",
        ...options.env,
      }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const result = await git(args, options);
  if (result.code !== 0) throw new Error(`git ${args.join(" ")} failed (${result.code}):\n${result.stderr}`);
  return result.stdout;
}

describe("git smart HTTP with hooks", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let server: Awaited<ReturnType<typeof startGitHttpServer>>;
  let work: string;
  let repoUrl: string;
  let repoDir: string;
  let application: { id: number; accountId: number; repoName: string };
  const tokens: Record<string, string> = {};
  let tokenIds: Record<string, number> = {};

  const urlWith = (token: string) => repoUrl.replace("http://", `http://token:${token}@`);
  const branchTip = async (branch: string) => (await ok(["--git-dir", repoDir, "rev-parse", `refs/heads/${branch}`])).trim();
  const envNames = async () =>
    (await getDb().select({ name: environments.name }).from(environments).where(eq(environments.applicationId, application.id)))
      .map((r) => r.name)
      .sort();

  beforeAll(async () => {
    temp = makeTempDataDir("ec-git-http-");
    work = path.join(temp.dir, "work");
    fs.mkdirSync(work);
    const { people, account } = await writeTransaction(async (db) => {
      const user = (email: string) =>
        one(
          db
            .insert(users)
            .values({ email, name: email.split("@")[0], passwordHash: "x" })
            .returning(),
        );
      const people = {
        owner: await user("owner@example.com"),
        dev: await user("dev@example.com"),
        viewer: await user("viewer@example.com"),
        outsider: await user("outsider@example.com"),
      };
      const account = await one(db.insert(accounts).values({ name: "Acme" }).returning());
      const roles: [keyof typeof people, Role][] = [
        ["owner", "owner"],
        ["dev", "developer"],
        ["viewer", "viewer"],
      ];
      for (const [who, role] of roles) await db.insert(memberships).values({ userId: people[who].id, accountId: account.id, role });
      return { people, account };
    });
    const created = await createApplication({
      actor: { id: people.owner.id, name: "owner" },
      account: { id: account.id },
      hostname: { hostname: "www.example.test", unicode: "www.example.test", isApex: false },
      origin: { address: "203.0.113.7", protocol: "https", port: 443 },
      stackId: "varnish",
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    application = created.application;
    repoDir = repositoryPath(created.application);
    const make = async (name: string, userId: number, readOnly = false) => {
      const { token, value } = await createApiToken({ userId, name, readOnly });
      tokens[name] = value;
      tokenIds = { ...tokenIds, [name]: token.id };
    };
    await make("dev", people.dev.id);
    await make("dev-ro", people.dev.id, true);
    await make("viewer", people.viewer.id);
    await make("outsider", people.outsider.id);
    await make("revoked", people.dev.id);
    await revokeApiToken({ userId: people.dev.id, tokenId: tokenIds.revoked });
    server = await startGitHttpServer();
    repoUrl = `${server.url}/git/account/${account.id}/application/${application.id}/www.example.test.git`;
  });
  afterAll(async () => {
    await server?.close();
    temp.cleanup();
  });

  it("asks for credentials with a Basic challenge, and refuses unknown or revoked tokens", async () => {
    const response = await fetch(`${repoUrl}/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Basic realm="Edge Console"');
    const anonymous = await git(["ls-remote", repoUrl], { env: { GIT_TERMINAL_PROMPT: "0" } });
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toContain("terminal prompts disabled");
    for (const bad of [tokens.revoked, `ec_${"A".repeat(43)}`, "nonsense"]) {
      const result = await git(["ls-remote", urlWith(bad)]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("Authentication failed");
    }
    // Another user name than token/section-token is not accepted, even with a good token.
    const other = await fetch(`${repoUrl}/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`dev@example.com:${tokens.dev}`).toString("base64")}` },
    });
    expect(other.status).toBe(401);
    const sectionToken = await fetch(`${repoUrl}/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`section-token:${tokens.dev}`).toString("base64")}` },
    });
    expect(sectionToken.status).toBe(200);
    expect(sectionToken.headers.get("content-type")).toBe("application/x-git-upload-pack-advertisement");
  });

  it("answers 404 to everything but the smart protocol's requests, and to non-members", async () => {
    const auth = { authorization: `Bearer ${tokens.dev}` };
    const base = repoUrl;
    const cases: [string, string][] = [
      ["GET", `${base}/info/refs`], // the dumb protocol
      ["GET", `${base}/HEAD`],
      ["GET", `${base}/objects/info/packs`],
      ["GET", `${base}/info/refs?service=git-upload-archive`],
      ["POST", `${base}/info/refs?service=git-upload-pack`],
      ["GET", `${base}/git-upload-pack`],
      ["PUT", `${base}/git-receive-pack`],
      ["DELETE", `${base}/info/refs?service=git-upload-pack`],
      ["GET", `${base.replace("www.example.test.git", "other.git")}/info/refs?service=git-upload-pack`],
      ["GET", `${base.replace(".git", "")}/info/refs?service=git-upload-pack`],
      ["GET", `${base.replace("www.example.test.git", "..%2F..%2Fetc.git")}/info/refs?service=git-upload-pack`],
      ["GET", `${base.replace("www.example.test.git", "%2e%2e.git")}/info/refs?service=git-upload-pack`],
      ["GET", `${base.replace(`/account/${application.accountId}/`, "/account/999/")}/info/refs?service=git-upload-pack`],
      ["GET", `${base.replace(`/application/${application.id}/`, "/application/0/")}/info/refs?service=git-upload-pack`],
      ["GET", `${server.url}/git/account/1/application/1/x.git/../../../../info/refs?service=git-upload-pack`],
    ];
    for (const [method, url] of cases) {
      const response = await fetch(url, { method, headers: auth });
      expect(response.status, `${method} ${url}`).toBe(404);
    }
    const outsider = await git(["clone", urlWith(tokens.outsider), path.join(work, "outsider")]);
    expect(outsider.code).not.toBe(0);
    expect(outsider.stderr).toContain("remote: Repository not found.");
    expect(outsider.stderr).toMatch(/repository '.*' not found/);
  });

  it("lets a viewer and a read-only token fetch (protocol v2) but not push, with a message git prints", async () => {
    const clone = path.join(work, "viewer");
    const cloned = await git(["clone", urlWith(tokens.viewer), clone], { env: { GIT_TRACE_PACKET: "1" } });
    expect(cloned.code, cloned.stderr).toBe(0);
    expect(cloned.stderr).toContain("version 2");
    expect(fs.readFileSync(path.join(clone, "section.config.json"), "utf8")).toContain("203.0.113.7");
    fs.appendFileSync(path.join(clone, "varnish", "default.vcl"), "# viewer\n");
    await ok(["commit", "-qam", "viewer change"], { cwd: clone });
    const before = await branchTip("Production");
    const pushed = await git(["push", "origin", "Production"], { cwd: clone });
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toContain("remote: Your role in this account (Viewer) cannot push to this repository.");
    expect(pushed.stderr).toContain("403");

    await ok(["remote", "set-url", "origin", urlWith(tokens["dev-ro"])], { cwd: clone });
    await ok(["fetch", "origin"], { cwd: clone });
    const readOnly = await git(["push", "origin", "Production"], { cwd: clone });
    expect(readOnly.code).not.toBe(0);
    expect(readOnly.stderr).toMatch(/remote: The token "dev-ro" \(ec_.{4}…\) is read-only: it can fetch but not push/);
    expect(await branchTip("Production")).toBe(before);
  });

  it("accepts a developer's valid push and records it; refuses invalid config, rewrites and deletion", async () => {
    const clone = path.join(work, "dev");
    await ok(["clone", urlWith(tokens.dev), clone]);
    const config = JSON.parse(fs.readFileSync(path.join(clone, "section.config.json"), "utf8"));
    config.environments.Production.origin.address = "203.0.113.99";
    fs.writeFileSync(path.join(clone, "section.config.json"), JSON.stringify(config, null, 2) + "\n");
    await ok(["commit", "-qam", "new origin"], { cwd: clone });
    const pushed = await git(["push", "origin", "Production"], { cwd: clone });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toContain("remote: Edge Console: Production: section.config.json is valid");
    const good = (await ok(["rev-parse", "HEAD"], { cwd: clone })).trim();
    expect(await branchTip("Production")).toBe(good);
    const audit = await getDb()
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.accountId, application.accountId), eq(auditEvents.action, "git.push")));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorName: "dev", targetType: "application", targetId: application.id });
    expect(audit[0].data).toMatchObject({ refs: [{ ref: "refs/heads/Production", new: good }], token: tokens.dev.slice(0, 7) });

    // Invalid section.config.json: refused with the validator's message; the branch stays.
    config.environments.Production.origin.port = 70000;
    fs.writeFileSync(path.join(clone, "section.config.json"), JSON.stringify(config, null, 2) + "\n");
    await ok(["commit", "-qam", "bad port"], { cwd: clone });
    const invalid = await git(["push", "origin", "Production"], { cwd: clone });
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain("remote: Edge Console refused this push; no branch was changed:");
    expect(invalid.stderr).toContain(
      "Production: section.config.json environments.Production.origin.port: must be a number from 1 to 65535",
    );
    expect(invalid.stderr).toContain("pre-receive hook declined");
    expect(await branchTip("Production")).toBe(good);
    // The refused objects stayed in quarantine: the repository does not have them.
    const refused = (await ok(["rev-parse", "HEAD"], { cwd: clone })).trim();
    expect((await git(["--git-dir", repoDir, "cat-file", "-e", refused])).code).not.toBe(0);

    // Rewriting the environment branch (non-fast-forward, forced) is refused.
    await ok(["reset", "-q", "--hard", "HEAD~2"], { cwd: clone });
    fs.appendFileSync(path.join(clone, "varnish", "default.vcl"), "# rewrite\n");
    await ok(["commit", "-qam", "rewrite"], { cwd: clone });
    const forced = await git(["push", "--force", "origin", "Production"], { cwd: clone });
    expect(forced.code).not.toBe(0);
    expect(forced.stderr).toContain("Production: non-fast-forward update refused");
    expect(await branchTip("Production")).toBe(good);

    const deleted = await git(["push", "origin", ":Production"], { cwd: clone });
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain("cannot be deleted");
    expect(await branchTip("Production")).toBe(good);
    expect(await getDb().select().from(auditEvents).where(eq(auditEvents.action, "git.push"))).toHaveLength(1);
  });

  it("a push never starts git gc --auto (receive.autogc=false): the leader's maintenance is the only housekeeping", async () => {
    const clone = path.join(work, "autogc");
    await ok(["clone", urlWith(tokens.dev), clone]);
    await ok(["checkout", "-qb", "autogc-check"], { cwd: clone });
    fs.writeFileSync(path.join(clone, "notes.txt"), "loose objects\n");
    await ok(["add", "notes.txt"], { cwd: clone });
    await ok(["commit", "-qm", "notes"], { cwd: clone });
    // Two packs and gc.autoPackLimit=1: git-receive-pack's default `git gc --auto` (run in the foreground with
    // gc.autoDetach=false) would find too many packs and repack them into one.
    await ok(["--git-dir", repoDir, "repack", "-q", "-d"]);
    const blob = path.join(work, "autogc-blob.txt");
    fs.writeFileSync(blob, `a second pack ${Date.now()}\n`);
    const oid = (await ok(["--git-dir", repoDir, "hash-object", "-w", blob])).trim();
    await new Promise<void>((resolve, reject) => {
      const child = spawn("git", ["--git-dir", repoDir, "pack-objects", "-q", path.join(repoDir, "objects", "pack", "pack")], {
        env: gitEnv({}),
        stdio: ["pipe", "ignore", "inherit"],
      });
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git pack-objects exited ${code}`))));
      child.stdin.end(`${oid}\n`);
    });
    const packs = async () => Number(/^packs: (\d+)$/m.exec(await ok(["--git-dir", repoDir, "count-objects", "-v"]))?.[1]);
    expect(await packs()).toBe(2);
    await ok(["--git-dir", repoDir, "config", "gc.autoPackLimit", "1"]);
    await ok(["--git-dir", repoDir, "config", "gc.autoDetach", "false"]);
    try {
      const pushed = await git(["push", "origin", "autogc-check"], { cwd: clone });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(await packs()).toBe(2);
    } finally {
      await ok(["--git-dir", repoDir, "config", "--unset", "gc.autoPackLimit"]);
      await ok(["--git-dir", repoDir, "config", "--unset", "gc.autoDetach"]);
    }
  });

  it("refuses a push whose origin is link-local or the edge itself (docs/product.md §3.3), changing no branch", async () => {
    const clone = path.join(work, "origin-policy");
    await ok(["clone", urlWith(tokens.dev), clone]);
    const before = await branchTip("Production");
    const config = JSON.parse(fs.readFileSync(path.join(clone, "section.config.json"), "utf8"));
    config.environments.Production.origin.address = "169.254.169.254";
    config.environments.Production.alternate_origins = { edge: { address: "192.0.2.10" } };
    fs.writeFileSync(path.join(clone, "section.config.json"), JSON.stringify(config, null, 2) + "\n");
    await ok(["commit", "-qam", "metadata origin"], { cwd: clone });
    const refused = await git(["push", "origin", "Production"], { cwd: clone });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      "Production: section.config.json environments.Production.origin.address: 169.254.169.254 is a link-local address; the edge cannot reach it.",
    );
    expect(refused.stderr).toContain(
      "Production: section.config.json environments.Production.alternate_origins.edge.address: 192.0.2.10 is the edge itself",
    );
    expect(await branchTip("Production")).toBe(before);
  });

  it("turns a new environment-named branch into an environment; refuses case twins; leaves other branches alone", async () => {
    const clone = path.join(work, "branches");
    await ok(["clone", urlWith(tokens.dev), clone]);
    await ok(["checkout", "-qb", "Qa"], { cwd: clone });
    const missing = await git(["push", "origin", "Qa"], { cwd: clone });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      'Qa: section.config.json environments.Qa: is missing: this branch needs the block of its environment "Qa"',
    );
    expect(await envNames()).toEqual(["Production"]);

    const config = JSON.parse(fs.readFileSync(path.join(clone, "section.config.json"), "utf8"));
    config.environments.Qa = config.environments.Production;
    fs.writeFileSync(path.join(clone, "section.config.json"), JSON.stringify(config, null, 2) + "\n");
    await ok(["commit", "-qam", "Qa block"], { cwd: clone });
    const pushed = await git(["push", "origin", "Qa"], { cwd: clone });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toMatch(/remote: Edge Console: environment "Qa" created \(no domains yet\): http:\/\/\S+\/environment\/Qa/);
    expect(await envNames()).toEqual(["Production", "Qa"]);
    const created = await getDb().select().from(auditEvents).where(eq(auditEvents.action, "environment.create"));
    expect(created.map((e) => e.targetLabel)).toEqual(["www.example.test / Qa"]);

    for (const twin of ["production", "QA"]) {
      const result = await git(["push", "origin", `HEAD:refs/heads/${twin}`], { cwd: clone });
      expect(result.code, twin).not.toBe(0);
      expect(result.stderr).toContain(`${twin}: differs only in case from the environment`);
    }
    // Two new case twins in one push.
    const both = await git(["push", "origin", "HEAD:refs/heads/Stage", "HEAD:refs/heads/STAGE"], { cwd: clone });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/Stage: section.config.json environments.Stage: is missing/);

    // A plain branch is not validated, can be rewritten and deleted; tags are fine.
    fs.writeFileSync(path.join(clone, "section.config.json"), "{ not json");
    await ok(["commit", "-qam", "wip"], { cwd: clone });
    const feature = await git(["push", "origin", "HEAD:refs/heads/feature/x"], { cwd: clone });
    expect(feature.code, feature.stderr).toBe(0);
    expect((await git(["push", "--force", "origin", "HEAD~1:refs/heads/feature/x"], { cwd: clone })).code).toBe(0);
    expect((await git(["push", "origin", "HEAD:refs/tags/v1"], { cwd: clone })).code).toBe(0);
    expect((await git(["push", "origin", ":feature/x"], { cwd: clone })).code).toBe(0);
    const notes = await git(["push", "origin", "HEAD:refs/notes/x"], { cwd: clone });
    expect(notes.stderr).toContain("refs/notes/x: only branches (refs/heads/…) and tags (refs/tags/…) can be pushed");
    expect(await envNames()).toEqual(["Production", "Qa"]);
  }, 60_000); // a dozen real pushes through the hooks: slow on a loaded 2-core machine

  it("inflates gzip request bodies (protocol v2 ls-refs)", async () => {
    const pkt = (line: string) => (line.length + 4).toString(16).padStart(4, "0") + line;
    const body = zlib.gzipSync(Buffer.from(pkt("command=ls-refs\n") + "0001" + pkt("ref-prefix refs/heads/\n") + "0000"));
    const response = await fetch(`${repoUrl}/git-upload-pack`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${tokens.viewer}`,
        "content-type": "application/x-git-upload-pack-request",
        "content-encoding": "gzip",
        "git-protocol": "version=2",
      },
      body,
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("refs/heads/Production");
    expect(text).toContain("refs/heads/Qa");
  });

  it("refuses pushes when the hooks cannot run (fail closed) and hook callbacks without the secret", async () => {
    const hooksDir = path.join(temp.dir, "hooks-not-executable");
    fs.mkdirSync(hooksDir);
    for (const name of ["pre-receive", "post-receive"]) fs.writeFileSync(path.join(hooksDir, name), "#!/bin/sh\nexit 0\n", { mode: 0o644 });
    const request = new Request(`${repoUrl}/info/refs?service=git-receive-pack`, { headers: { authorization: `Bearer ${tokens.dev}` } });
    const response = await handleGitHttpRequest(request, { hooksDir });
    expect(response.status).toBe(503);
    expect(await response.text()).toContain("Pushing is unavailable right now");

    const body = JSON.stringify({ applicationId: application.id, userId: 1, tokenId: 1, updates: [] });
    const context = { applicationId: application.id, userId: 1, tokenId: 1 };
    const right = pushHookSecret(context);
    const forged = right.replace(/\.[^.]+$/, ".AAAA");
    for (const authorization of [
      undefined,
      "Bearer wrong",
      `Basic ${right}`,
      `Bearer ${forged}`, // a signature that does not match
      `Bearer ${pushHookSecret(context, Date.now() - HOOK_SECRET_TTL_MS - 1)}`, // expired
      `Bearer ${pushHookSecret({ ...context, userId: 2 })}`, // another push's secret: another user
      `Bearer ${pushHookSecret({ ...context, applicationId: application.id + 1 })}`, // another application
    ]) {
      const hook = await handleGitHookRequest(
        new Request("http://127.0.0.1/api/internal/git/pre-receive", {
          method: "POST",
          body,
          headers: authorization ? { authorization } : {},
        }),
        "pre-receive",
      );
      expect(hook.status).toBe(404);
    }
    const unknown = await handleGitHookRequest(
      new Request("http://127.0.0.1/x", { method: "POST", body, headers: { authorization: `Bearer ${right}` } }),
      "update",
    );
    expect(unknown.status).toBe(404);
    // Quarantine paths outside the repository are refused.
    const dev = (await first(getDb().select().from(users).where(eq(users.email, "dev@example.com"))))!;
    const outside = JSON.stringify({
      applicationId: application.id,
      userId: dev.id,
      tokenId: tokenIds.dev,
      updates: [{ oldOid: "0".repeat(40), newOid: "1".repeat(40), ref: "refs/heads/Production" }],
      quarantine: { objectDirectory: "/tmp" },
    });
    const refused = await handleGitHookRequest(
      new Request("http://127.0.0.1/", {
        method: "POST",
        body: outside,
        headers: { authorization: `Bearer ${pushHookSecret({ applicationId: application.id, userId: dev.id, tokenId: tokenIds.dev })}` },
      }),
      "pre-receive",
    );
    expect(await refused.json()).toEqual({
      ok: false,
      messages: ["Edge Console refused this push: the pushed objects are not inside the repository."],
    });
  });

  it("refuses a member without two-factor authentication when the account requires it (docs/product.md §3.2)", async () => {
    const setRequired = (required: boolean) =>
      writeTransaction((tx) => tx.update(accounts).set({ requireTwoFactor: required }).where(eq(accounts.id, application.accountId)));
    const viewer = (await first(getDb().select().from(users).where(eq(users.email, "viewer@example.com"))))!;
    await setRequired(true);
    try {
      const refused = await git(["ls-remote", urlWith(tokens.viewer)]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("This account requires two-factor authentication");
      await writeTransaction((tx) => tx.update(users).set({ totpEnabledAt: new Date() }).where(eq(users.id, viewer.id)));
      expect((await git(["ls-remote", urlWith(tokens.viewer)])).code).toBe(0);
    } finally {
      await setRequired(false);
      await writeTransaction((tx) => tx.update(users).set({ totpEnabledAt: null }).where(eq(users.id, viewer.id)));
    }
  });
});
