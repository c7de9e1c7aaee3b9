import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getDb, writeTransaction, first, one } from "@/db";
import { accounts, auditEvents, domains, environments, memberships, users } from "@/db/schema";
import { createApplication, repositoryPath, type Application } from "@/lib/applications/create";
import { diffCommit } from "@/lib/git/diff";
import { gitEnv } from "@/lib/git/run";
import { listBranches, listTags, resolveBranch } from "@/lib/git/refs";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import type { Actor } from "@/lib/repositories/changes";
import { createEnvironment } from "./create";
import { deleteEnvironment } from "./delete";
import { saveFile } from "./edit";
import { checkEnvironmentName } from "./names";
import { previewPromotion, promoteEnvironment } from "./promote";
import { revertCommit } from "./revert";

/** The real git CLI on the application's repository, as a user would run it. */
const git = (repo: string, ...args: string[]) => execFileSync("git", ["-C", repo, ...args], { env: gitEnv(), encoding: "utf8" }).trim();
const show = (repo: string, rev: string, file = "section.config.json") =>
  execFileSync("git", ["-C", repo, "show", `${rev}:${file}`], { env: gitEnv(), encoding: "utf8" });
const config = (repo: string, rev: string) => JSON.parse(show(repo, rev));

const host = (name: string) => ({ hostname: name, unicode: name, isApex: false });

describe("environments (real repositories, temp SQLite)", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let actor: Actor;
  let app: Application;
  let repo: string;

  beforeEach(async () => {
    temp = makeTempDataDir("ec-env-");
    const { user, account } = await writeTransaction(async (db) => {
      const user = await one(db.insert(users).values({ email: "ada@example.com", name: "Ada", passwordHash: "x" }).returning());
      const account = await one(db.insert(accounts).values({ name: "Acme" }).returning());
      await db.insert(memberships).values({ userId: user.id, accountId: account.id, role: "developer" });
      return { user, account };
    });
    actor = { id: user.id, name: "Ada" };
    const created = await createApplication({
      actor,
      account: { id: account.id },
      hostname: host("www.example.com"),
      origin: { address: "203.0.113.7", protocol: "https", port: 443 },
      stackId: "varnish",
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    app = created.application;
    repo = repositoryPath(app);
  });
  afterEach(() => temp.cleanup());

  const create = (name: string, hostname = `${name.toLowerCase()}.example.com`, source = "Production") =>
    createEnvironment({ application: app, actor, name, source, hostname: host(hostname), ownershipRequired: false });

  async function staging() {
    const result = await create("Staging");
    if (!result.ok) throw new Error(result.message);
    return result.environment;
  }

  /** Saves `file` on an environment from its current head, with `edit` applied to the text. */
  async function edit(env: { id: number; name: string }, file: string, change: (text: string) => string, message = "edit") {
    const head = (await resolveBranch(repo, env.name))!;
    return saveFile({
      application: app,
      environment: env,
      actor,
      path: file,
      content: change(show(repo, head, file)),
      baseCommit: head,
      message,
    });
  }

  const setPort = (env: string, port: number) => (text: string) => {
    const value = JSON.parse(text);
    value.environments[env].origin.port = port;
    return `${JSON.stringify(value, null, 2)}\n`;
  };

  const auditActions = async () =>
    (await getDb().select({ action: auditEvents.action }).from(auditEvents).orderBy(auditEvents.id)).map((r) => r.action);

  describe("names", () => {
    it("refuses names outside the rules with messages saying why", async () => {
      expect(await checkEnvironmentName("qa-eu")).toEqual({ ok: false, message: expect.stringContaining("cannot contain “-”") });
      expect(await checkEnvironmentName("new landing")).toEqual({ ok: false, message: expect.stringContaining("cannot contain a space") });
      expect(await checkEnvironmentName("2fast")).toEqual({ ok: false, message: expect.stringContaining("must start with a letter") });
      expect(await checkEnvironmentName("HEAD")).toEqual({ ok: false, message: expect.stringContaining("git reserves") });
      expect(await checkEnvironmentName("")).toMatchObject({ ok: false });
      expect(await checkEnvironmentName("A".repeat(41))).toMatchObject({ ok: false });
      expect(await checkEnvironmentName(" Staging2 ")).toEqual({ ok: true, name: "Staging2" });
    });

    it("refuses an option-like name before anything runs", async () => {
      const marker = path.join(os.tmpdir(), `ec-upload-pack-${crypto.randomBytes(4).toString("hex")}`);
      const result = await create(`--upload-pack=touch ${marker}`, "evil.example.com");
      expect(result).toMatchObject({ ok: false, field: "name", message: expect.stringContaining("must start with a letter") });
      expect(fs.existsSync(marker)).toBe(false);
      expect(await listBranches(repo)).toEqual(["Production"]);
    });

    it("refuses a name differing only in case from an existing environment, accepts Staging2", async () => {
      const first = await create("staging");
      expect(first.ok).toBe(true);
      const clash = await create("Staging", "other.example.com");
      expect(clash).toMatchObject({
        ok: false,
        field: "name",
        message: expect.stringContaining("already has an environment named “Staging”"),
      });
      expect(await listBranches(repo)).toEqual(["Production", "staging"]);
      expect(await create("Staging2")).toMatchObject({ ok: true, environment: { name: "Staging2" } });
      expect(await listBranches(repo)).toEqual(["Production", "Staging2", "staging"]);
    });
  });

  describe("create", () => {
    it("branches from the source with the source's block copied, and writes env, domain and audit rows", async () => {
      const production = (await resolveBranch(repo, "Production"))!;
      const result = await create("Staging");
      if (!result.ok) throw new Error(result.message);
      expect(result.environment).toMatchObject({ name: "Staging", applicationId: app.id, accountId: app.accountId });
      expect(result.domain).toMatchObject({ hostname: "staging.example.com", environmentId: result.environment.id, status: "pending" });
      const head = (await resolveBranch(repo, "Staging"))!;
      expect(head).toBe(result.commit);
      expect(git(repo, "log", "-1", "--format=%P|%an <%ae>|%cn|%s", head)).toBe(
        `${production}|Ada <ada@example.com>|Edge Console|Create environment Staging from Production`,
      );
      const staged = config(repo, head);
      expect(staged.environments).toEqual({
        Production: { origin: { address: "203.0.113.7", protocol: "https", port: 443 } },
        Staging: { origin: { address: "203.0.113.7", protocol: "https", port: 443 } },
      });
      expect(staged.proxychain).toEqual(config(repo, production).proxychain);
      expect(git(repo, "diff", "--stat", production, head)).toMatch(/section\.config\.json \| 7 \+{7}/);
      expect(await auditActions()).toEqual(["application.create", "environment.create"]);
    });

    it("refuses a hostname used anywhere and an unknown source, leaving no branch", async () => {
      expect(await create("Staging", "www.example.com")).toMatchObject({ ok: false, field: "hostname" });
      expect(await create("Staging", "s.example.com", "Nope")).toMatchObject({ ok: false, field: "source" });
      expect(await listBranches(repo)).toEqual(["Production"]);
    });

    it("deletes its branch again when the rows cannot be written (two creations racing for one hostname)", async () => {
      const [a, b] = await Promise.all([create("Alpha", "race.example.com"), create("Beta", "race.example.com")]);
      const winner = [a, b].filter((r) => r.ok);
      const loser = [a, b].find((r) => !r.ok);
      expect(winner).toHaveLength(1);
      expect(loser).toMatchObject({ ok: false, field: "hostname", message: expect.stringContaining("already used") });
      const name = winner[0].ok ? winner[0].environment.name : "";
      expect(await listBranches(repo)).toEqual(["Production", name].sort());
      expect((await getDb().select().from(environments)).map((e) => e.name).sort()).toEqual([name, "Production"].sort());
    });
  });

  describe("delete", () => {
    it("keeps the branch as a deleted/<name>-<stamp> tag and frees its hostnames", async () => {
      const env = await staging();
      const head = (await resolveBranch(repo, "Staging"))!;
      const at = new Date(Date.UTC(2025, 5, 7, 8, 9, 10));
      expect(await deleteEnvironment({ application: app, environment: env, actor, confirmation: "staging", now: at })).toMatchObject({
        ok: false,
        code: "confirmation",
      });
      const result = await deleteEnvironment({ application: app, environment: env, actor, confirmation: "Staging", now: at });
      expect(result).toEqual({ ok: true, tag: "deleted/Staging-20250607T080910Z", freedHostnames: ["staging.example.com"] });
      expect(await listBranches(repo)).toEqual(["Production"]);
      expect(await listTags(repo)).toEqual(["deleted/Staging-20250607T080910Z"]);
      expect(git(repo, "rev-parse", "refs/tags/deleted/Staging-20250607T080910Z")).toBe(head);
      expect(await getDb().select().from(domains).where(eq(domains.hostname, "staging.example.com"))).toEqual([]);
      expect(await auditActions()).toEqual(["application.create", "environment.create", "environment.delete"]);
      // The hostname and the name are free again.
      expect(await create("Staging")).toMatchObject({ ok: true });
    });

    it("refuses Production and an environment with a live domain", async () => {
      const production = (await first(getDb().select().from(environments).where(eq(environments.name, "Production"))))!;
      expect(await deleteEnvironment({ application: app, environment: production, actor, confirmation: "Production" })).toMatchObject({
        ok: false,
        code: "production",
      });
      const env = await staging();
      await writeTransaction((tx) => tx.update(domains).set({ status: "live" }).where(eq(domains.environmentId, env.id)));
      expect(await deleteEnvironment({ application: app, environment: env, actor, confirmation: "Staging" })).toMatchObject({
        ok: false,
        code: "live",
        message: expect.stringContaining("staging.example.com is live"),
      });
      expect(await listBranches(repo)).toEqual(["Production", "Staging"]);
      expect(await listTags(repo)).toEqual([]);
      expect(await getDb().select().from(environments)).toHaveLength(2);
    });
  });

  describe("commits from the editor", () => {
    it("saves a valid change authored by the user, and refuses an invalid configuration leaving the branch unchanged", async () => {
      const env = await staging();
      const saved = await edit(env, "section.config.json", setPort("Staging", 8443), "Use port 8443");
      expect(saved).toMatchObject({ ok: true });
      expect(config(repo, "Staging").environments.Staging.origin.port).toBe(8443);
      expect(git(repo, "log", "-1", "--format=%an|%cn|%s", "Staging")).toBe("Ada|Edge Console|Use port 8443");

      const head = (await resolveBranch(repo, "Staging"))!;
      const bad = await edit(env, "section.config.json", (t) => t.replace('"port": 8443', '"port": "eighty"'));
      expect(bad).toMatchObject({
        ok: false,
        code: "invalid",
        issues: [{ path: "environments.Staging.origin.port", message: expect.any(String) }],
      });
      const withoutOwnBlock = await edit(env, "section.config.json", (t) => {
        const value = JSON.parse(t);
        delete value.environments.Staging;
        return JSON.stringify(value);
      });
      expect(withoutOwnBlock).toMatchObject({ ok: false, code: "invalid", issues: [{ path: "environments.Staging" }] });
      const brokenJson = await edit(env, "varnish/proxy-features.json", (t) => `${t.trim()},`);
      expect(brokenJson).toMatchObject({
        ok: false,
        code: "invalid",
        issues: [{ message: expect.stringMatching(/^Invalid JSON at line \d+, column \d+/) }],
      });
      expect(await resolveBranch(repo, "Staging")).toBe(head);
      expect((await auditActions()).filter((a) => a === "config.commit")).toHaveLength(1);
    });

    it("refuses an origin the wizard refuses (link-local, the edge itself), leaving the branch unchanged (docs/product.md §3.3)", async () => {
      const env = await staging();
      const head = (await resolveBranch(repo, "Staging"))!;
      const setAddress = (address: string) => (text: string) => {
        const value = JSON.parse(text);
        value.environments.Staging.origin.address = address;
        return `${JSON.stringify(value, null, 2)}\n`;
      };
      const linkLocal = await edit(env, "section.config.json", setAddress("169.254.169.254"));
      expect(linkLocal).toMatchObject({
        ok: false,
        code: "invalid",
        issues: [
          { path: "environments.Staging.origin.address", message: expect.stringMatching(/^169\.254\.169\.254 is a link-local address/) },
        ],
      });
      const edge = await edit(env, "section.config.json", setAddress("192.0.2.10"));
      expect(edge).toMatchObject({ ok: false, code: "invalid", issues: [{ message: expect.stringMatching(/is the edge itself/) }] });
      expect(await resolveBranch(repo, "Staging")).toBe(head);
      expect((await auditActions()).filter((a) => a === "config.commit")).toHaveLength(0);
    });

    it("stores the browser's CRLF line breaks as LF, keeps the final line break, and refuses no-op or unknown files", async () => {
      const env = await staging();
      const head = (await resolveBranch(repo, "Staging"))!;
      const text = setPort("Staging", 8080)(show(repo, head)).trimEnd().replace(/\n/g, "\r\n");
      const base = { application: app, environment: env, actor, baseCommit: head, message: "" };
      expect(await saveFile({ ...base, path: "section.config.json", content: text })).toMatchObject({ ok: true });
      const saved = show(repo, "Staging");
      expect(saved).not.toContain("\r");
      expect(saved.endsWith("}\n")).toBe(true);
      expect(git(repo, "log", "-1", "--format=%s", "Staging")).toBe("Update section.config.json");
      const now = (await resolveBranch(repo, "Staging"))!;
      expect(await saveFile({ ...base, baseCommit: now, path: "section.config.json", content: saved })).toMatchObject({
        ok: false,
        code: "unchanged",
      });
      expect(await saveFile({ ...base, baseCommit: now, path: "nope.txt", content: "x" })).toMatchObject({
        ok: false,
        code: "bad_request",
      });
      expect(await saveFile({ ...base, baseCommit: now, path: "../escape", content: "x" })).toMatchObject({
        ok: false,
        code: "bad_request",
      });
      expect(await saveFile({ ...base, baseCommit: "HEAD", path: "section.config.json", content: "x" })).toMatchObject({
        ok: false,
        code: "bad_request",
      });
      expect(await resolveBranch(repo, "Staging")).toBe(now);
    });

    it("refuses a stale save with the diff of what changed meanwhile", async () => {
      const env = await staging();
      const opened = (await resolveBranch(repo, "Staging"))!;
      expect(
        await edit(env, "varnish/default.vcl", (t) => t.replace(".first_byte_timeout = 60s;", ".first_byte_timeout = 61s;")),
      ).toMatchObject({ ok: true });
      const moved = (await resolveBranch(repo, "Staging"))!;
      const stale = await saveFile({
        application: app,
        environment: env,
        actor,
        path: "section.config.json",
        content: setPort("Staging", 9000)(show(repo, opened)),
        baseCommit: opened,
        message: "mine",
      });
      expect(stale).toMatchObject({ ok: false, code: "stale", head: moved });
      if (stale.ok || stale.code !== "stale") return;
      expect(stale.diff.files).toEqual(["varnish/default.vcl"]);
      expect(stale.diff.text).toContain("-    .first_byte_timeout = 60s;\n+    .first_byte_timeout = 61s;");
      expect(await resolveBranch(repo, "Staging")).toBe(moved);
    });

    it("lets exactly one of two concurrent saves from the same head win", async () => {
      const env = await staging();
      const head = (await resolveBranch(repo, "Staging"))!;
      const text = show(repo, head);
      const results = await Promise.all(
        [8001, 8002].map((port) =>
          saveFile({
            application: app,
            environment: env,
            actor,
            path: "section.config.json",
            content: setPort("Staging", port)(text),
            baseCommit: head,
            message: `port ${port}`,
          }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toMatchObject([{ code: "stale" }]);
      expect(git(repo, "rev-list", "--count", `${head}..Staging`)).toBe("1");
    });

    it("reverts a commit as a new commit whose diff is the inverse, validated first", async () => {
      const env = await staging();
      await edit(env, "section.config.json", setPort("Staging", 8443), "Use port 8443");
      const target = (await resolveBranch(repo, "Staging"))!;
      await edit(env, "varnish/default.vcl", (t) => `${t}# later\n`, "Later change");
      const reverted = await revertCommit({ application: app, environment: env, actor, commit: target });
      if (!reverted.ok) throw new Error(reverted.message);
      expect(git(repo, "log", "-1", "--format=%B", "Staging")).toBe(`Revert "Use port 8443"\n\nThis reverts commit ${target}.`);
      const forward = (await diffCommit(repo, target)).text.split("\n").filter((l) => /^[+-][^+-]/.test(l));
      const backward = (await diffCommit(repo, reverted.commit)).text.split("\n").filter((l) => /^[+-][^+-]/.test(l));
      expect(backward).toEqual(
        forward.map((l) => (l[0] === "+" ? "-" : "+") + l.slice(1)).sort((a, b) => (a[0] === b[0] ? 0 : a[0] === "-" ? -1 : 1)),
      );
      expect(config(repo, "Staging").environments.Staging.origin.port).toBe(443);
      expect(show(repo, "Staging", "varnish/default.vcl")).toMatch(/# later\n$/);

      // Reverting the commit that created the Staging block would leave Staging without its block: refused.
      const creation = git(repo, "rev-list", "--max-parents=1", "--grep=^Create environment", "Staging");
      const head = (await resolveBranch(repo, "Staging"))!;
      expect(await revertCommit({ application: app, environment: env, actor, commit: creation })).toMatchObject({
        ok: false,
        code: "invalid",
      });
      expect(await revertCommit({ application: app, environment: env, actor, commit: "f".repeat(40) })).toMatchObject({
        ok: false,
        code: "not_found",
      });
      expect(await resolveBranch(repo, "Staging")).toBe(head);
      expect((await auditActions()).filter((a) => a === "config.revert")).toHaveLength(1);
    });
  });

  describe("promote", () => {
    it('merges into Production with a two-parent commit "Staging merged to Production"', async () => {
      const env = await staging();
      await edit(env, "section.config.json", setPort("Staging", 8443));
      const before = { production: (await resolveBranch(repo, "Production"))!, staging: (await resolveBranch(repo, "Staging"))! };
      const preview = await previewPromotion({ application: app, environment: env });
      expect(preview).toMatchObject({ state: "ready", productionHead: before.production, environmentHead: before.staging });
      if (preview.state !== "ready") return;
      expect(preview.diff.files).toEqual(["section.config.json"]);
      expect(preview.diff.text).toContain('+      "origin": {');

      const result = await promoteEnvironment({ application: app, environment: env, actor, expected: preview });
      if (!result.ok) throw new Error(result.message);
      expect(git(repo, "log", "-1", "--format=%P|%s|%an", "Production")).toBe(
        `${before.production} ${before.staging}|Staging merged to Production|Ada`,
      );
      expect(config(repo, "Production").environments.Staging.origin.port).toBe(8443);
      expect((await auditActions()).at(-1)).toBe("environment.promote");
      // Nothing left to promote; a promotion reviewed against old heads is refused.
      expect(await promoteEnvironment({ application: app, environment: env, actor })).toMatchObject({ ok: false, code: "refused" });
      await edit(env, "varnish/default.vcl", (t) => `${t}# more\n`);
      expect(await promoteEnvironment({ application: app, environment: env, actor, expected: preview })).toMatchObject({
        ok: false,
        code: "changed",
      });
    });

    it("lists conflicting files and leaves Production unchanged", async () => {
      const env = await staging();
      const production = (await first(getDb().select().from(environments).where(eq(environments.name, "Production"))))!;
      await edit(env, "varnish/default.vcl", (t) => t.replace(".first_byte_timeout = 60s;", ".first_byte_timeout = 62s;"));
      await edit(production, "varnish/default.vcl", (t) => t.replace(".first_byte_timeout = 60s;", ".first_byte_timeout = 63s;"));
      const head = (await resolveBranch(repo, "Production"))!;
      const result = await promoteEnvironment({ application: app, environment: env, actor });
      expect(result).toMatchObject({ ok: false, code: "conflict", conflicts: ["varnish/default.vcl"] });
      expect(await resolveBranch(repo, "Production")).toBe(head);
      expect(await auditActions()).not.toContain("environment.promote");
    });

    it("refuses a merge whose configuration is invalid for Production, leaving Production unchanged", async () => {
      const env = await staging();
      // Staging only needs its own block; dropping Production's block there is valid on Staging…
      expect(
        await edit(env, "section.config.json", (t) => {
          const value = JSON.parse(t);
          delete value.environments.Production;
          return `${JSON.stringify(value, null, 2)}\n`;
        }),
      ).toMatchObject({ ok: true });
      const head = (await resolveBranch(repo, "Production"))!;
      // …but the merge would remove it from Production.
      const result = await promoteEnvironment({ application: app, environment: env, actor });
      expect(result).toMatchObject({ ok: false, code: "invalid", issues: [{ path: "environments.Production" }] });
      expect(await resolveBranch(repo, "Production")).toBe(head);
      expect(git(repo, "rev-list", "--count", "Production")).toBe("1");
    });
  });
});
