import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { expect, test, type Browser, type BrowserContext, type Page } from "./fixtures";
import { snap, uniqueLabel } from "./helpers";

// Git over HTTP against the built console, with the real git CLI (SPEC §3.6): tokens made in /settings/tokens,
// clone/fetch/push with each role, the pre-receive rules (validation, no rewrites, environments from branches,
// case twins, plain branches) and what the console shows afterwards (config, environments, audit log).

type Run = { code: number | null; stdout: string; stderr: string };

/** Folder for the clones, made in beforeAll (the runner also imports this file to list tests). */
let work = "";

/** Runs git as a user's terminal would, but never prompting and without any credential helper or global config. */
function git(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-c", "credential.helper=", "-c", "core.askPass=", ...args], {
      cwd: options.cwd ?? work,
      env: {
        NODE_ENV: "test",
        PATH: process.env.PATH,
        HOME: work,
        LANG: "C",
        LC_ALL: "C",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_TERMINAL_PROMPT: "0",
        GIT_AUTHOR_NAME: "E2E",
        GIT_AUTHOR_EMAIL: "e2e@example.com",
        GIT_COMMITTER_NAME: "E2E",
        GIT_COMMITTER_EMAIL: "e2e@example.com",
        ...options.env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function gitOk(args: string[], cwd?: string): Promise<string> {
  const result = await git(args, { cwd });
  expect(result.code, `git ${args.join(" ")}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

/** Creates a personal API token through Settings → API tokens and returns the value shown once. */
async function createToken(page: Page, name: string, options: { readOnly?: boolean } = {}): Promise<string> {
  await page.goto("/");
  await page.getByRole("banner").getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  await page.getByLabel("Name").fill(name);
  if (options.readOnly) await page.getByLabel("Read-only").check();
  await page.getByRole("button", { name: "Create token" }).click();
  const value = (await page.getByTestId("new-token-value").textContent())?.trim() ?? "";
  expect(value).toMatch(/^ec_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByText("it is shown only once")).toBeVisible();
  await expect(tokenRow(page, name)).toContainText(value.slice(0, 7));
  return value;
}

/** The row of the token named `name` in the tokens table. */
const tokenRow = (page: Page, name: string) => page.getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) });

const editConfig = (dir: string, edit: (config: { environments: Record<string, { origin: Record<string, unknown> }> }) => void) => {
  const file = path.join(dir, "section.config.json");
  const config = JSON.parse(fs.readFileSync(file, "utf8"));
  edit(config);
  fs.writeFileSync(file, JSON.stringify(config, null, 2) + "\n");
};

test.describe.configure({ mode: "serial" });

test.describe("git over HTTP", () => {
  const label = uniqueLabel();
  const hostname = `www.git-${label}.test`;
  let owner: Page;
  let developer: Page;
  let outsiderPage: Page;
  const contexts: BrowserContext[] = [];
  const newPage = async (browser: Browser) => {
    const context = await browser.newContext();
    contexts.push(context);
    return context.newPage();
  };
  let cloneUrl = "";
  let appPath = "";
  let accountId = 0;
  const tokens = { developer: "", developerReadOnly: "", viewer: "", outsider: "", revoked: "" };
  const withToken = (token: string, url = cloneUrl) => url.replace(/^http:\/\//, `http://token:${token}@`);
  const remoteTip = async (branch: string) => {
    const out = await gitOk(["ls-remote", withToken(tokens.developer), `refs/heads/${branch}`]);
    return out.split("\t")[0] ?? "";
  };

  test.beforeAll(async ({ browser, people }) => {
    test.setTimeout(120_000);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "ec-e2e-git-work-"));
    owner = await newPage(browser);
    const ownerUser = await people.signUp(owner, `owner.${label}@example.com`);
    accountId = await people.createAccount(ownerUser, `Git ${label}`);
    appPath = await people.createApplication(ownerUser, accountId, hostname);
    await owner.goto(appPath);
    cloneUrl = (
      (await owner
        .getByText(/\/git\/account\/\d+\/application\/\d+\/.+\.git$/)
        .first()
        .textContent()) ?? ""
    ).trim();
    expect(cloneUrl).toBe(
      `http://localhost:${new URL(owner.url()).port}/git/account/${accountId}${appPath.slice(`/account/${accountId}`.length)}/${hostname}.git`,
    );

    const others = ["developer", "viewer", "outsider"] as const;
    const pages: Record<(typeof others)[number], Page> = {} as never;
    for (const who of others) {
      pages[who] = await newPage(browser);
      await people.signUp(pages[who], `${who}.${label}@example.com`);
    }
    developer = pages.developer;
    outsiderPage = pages.outsider;
    await people.addMembership(`developer.${label}@example.com`, accountId, "developer");
    await people.addMembership(`viewer.${label}@example.com`, accountId, "viewer");
    tokens.developer = await createToken(developer, "laptop");
    tokens.developerReadOnly = await createToken(developer, "ci read", { readOnly: true });
    tokens.viewer = await createToken(pages.viewer, "viewer laptop");
    tokens.outsider = await createToken(pages.outsider, "outsider");
    tokens.revoked = await createToken(developer, "old laptop");
    await snap(developer, "git-01-tokens-created");

    // Revoke "old laptop" with its confirmation step.
    const row = tokenRow(developer, "old laptop");
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByRole("button", { name: "Revoke token" }).click();
    await expect(row).toContainText("Revoked");
    await expect(row.getByRole("button", { name: "Revoke" })).toHaveCount(0);
    await snap(developer, "git-02-token-revoked");
  });

  test.afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test("no credentials get 401 with a Basic challenge, and git fails instead of prompting", async ({ request }) => {
    const response = await request.get(`${cloneUrl}/info/refs?service=git-upload-pack`);
    expect(response.status()).toBe(401);
    expect(response.headers()["www-authenticate"]).toBe('Basic realm="Edge Console"');
    const result = await git(["ls-remote", cloneUrl]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("terminal prompts disabled");
    // Paths outside the smart protocol are not found, never a server error.
    for (const suffix of ["/HEAD", "/objects/info/packs", "/info/refs", "/../../../etc/passwd"]) {
      const other = await request.get(`${cloneUrl}${suffix}`, { headers: { authorization: `Bearer ${tokens.developer}` } });
      expect(other.status(), suffix).toBe(404);
    }
    expect((await request.delete(`${cloneUrl}/git-receive-pack`)).status()).toBe(404);
  });

  test("a non-member's token gets 'repository not found'; a revoked token is refused", async () => {
    const outsider = await git(["clone", withToken(tokens.outsider), "outsider"]);
    expect(outsider.code).not.toBe(0);
    expect(outsider.stderr).toContain("remote: Repository not found.");
    expect(outsider.stderr).toMatch(/fatal: repository '.*' not found/);
    const revoked = await git(["clone", withToken(tokens.revoked), "revoked"]);
    expect(revoked.code).not.toBe(0);
    expect(revoked.stderr).toContain("Authentication failed");
  });

  test("another user cannot revoke a token that is not theirs, even by replaying the form", async () => {
    await developer.goto("/settings/tokens");
    const victimId = (await tokenRow(developer, "laptop").getAttribute("data-testid"))?.replace("token-", "") ?? "";
    expect(victimId).toMatch(/^\d+$/);
    await outsiderPage.goto("/settings/tokens");
    await expect(outsiderPage.getByRole("cell", { name: "laptop", exact: true })).toHaveCount(0);
    const row = tokenRow(outsiderPage, "outsider");
    await row.getByRole("button", { name: "Revoke" }).click();
    await row.locator('input[name="tokenId"]').evaluate((input, id) => ((input as HTMLInputElement).value = id), victimId);
    await row.getByRole("button", { name: "Revoke token" }).click();
    await expect(row.getByText("Not found: this token does not exist or is not yours.")).toBeVisible();
    await expect(row).not.toContainText("Revoked");
    expect((await git(["ls-remote", withToken(tokens.developer)])).code).toBe(0);
  });

  test("a viewer clones and fetches (protocol v2, gzip bodies) but cannot push", async ({ request }) => {
    const dir = path.join(work, "viewer");
    const cloned = await git(["clone", withToken(tokens.viewer), dir], { env: { GIT_TRACE_PACKET: "1" } });
    expect(cloned.code, cloned.stderr).toBe(0);
    expect(cloned.stderr).toContain("version 2");
    expect(fs.readFileSync(path.join(dir, "section.config.json"), "utf8")).toContain('"Production"');
    await gitOk(["fetch", "origin"], dir);

    // A gzip-compressed protocol v2 request body (git sends these for large negotiations).
    const pkt = (line: string) => (line.length + 4).toString(16).padStart(4, "0") + line;
    const gz = await request.post(`${cloneUrl}/git-upload-pack`, {
      headers: {
        authorization: `Bearer ${tokens.viewer}`,
        "content-type": "application/x-git-upload-pack-request",
        "content-encoding": "gzip",
        "git-protocol": "version=2",
      },
      data: zlib.gzipSync(Buffer.from(pkt("command=ls-refs\n") + "0001" + pkt("ref-prefix refs/heads/\n") + "0000")),
    });
    expect(gz.status()).toBe(200);
    expect(await gz.text()).toContain("refs/heads/Production");

    fs.appendFileSync(path.join(dir, "varnish", "default.vcl"), "# viewer was here\n");
    await gitOk(["commit", "-qam", "viewer change"], dir);
    const before = await remoteTip("Production");
    const push = await git(["push", "origin", "Production"], { cwd: dir });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain("remote: Your role in this account (Viewer) cannot push to this repository.");
    expect(push.stderr).toContain("403");

    // The developer's read-only token fetches but cannot push either.
    await gitOk(["remote", "set-url", "origin", withToken(tokens.developerReadOnly)], dir);
    await gitOk(["fetch", "origin"], dir);
    const readOnly = await git(["push", "origin", "Production"], { cwd: dir });
    expect(readOnly.code).not.toBe(0);
    expect(readOnly.stderr).toContain('remote: The token "ci read"');
    expect(readOnly.stderr).toContain("is read-only: it can fetch but not push");
    expect(await remoteTip("Production")).toBe(before);
  });

  test("a developer's push is accepted and shows on the application page; the token's last use is recorded", async () => {
    const dir = path.join(work, "developer");
    await gitOk(["clone", withToken(tokens.developer), dir]);
    editConfig(dir, (config) => (config.environments.Production.origin.address = "203.0.113.99"));
    await gitOk(["commit", "-qam", "Move the origin"], dir);
    const push = await git(["push", "origin", "Production"], { cwd: dir });
    expect(push.code, push.stderr).toBe(0);
    expect(push.stderr).toContain("remote: Edge Console: Production: section.config.json is valid");
    expect(await remoteTip("Production")).toBe((await gitOk(["rev-parse", "HEAD"], dir)).trim());

    await owner.goto(appPath);
    await expect(owner.getByText('"address": "203.0.113.99"')).toBeVisible();
    await snap(owner, "git-03-config-after-push");

    await developer.goto("/settings/tokens");
    const lastUsed = tokenRow(developer, "laptop").getByRole("cell").nth(4);
    await expect(lastUsed).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    await snap(developer, "git-04-token-last-used");
  });

  test("an invalid section.config.json is refused with the validator's message; the branch is unchanged", async () => {
    const dir = path.join(work, "developer");
    const before = await remoteTip("Production");
    editConfig(dir, (config) => (config.environments.Production.origin.port = 70000));
    await gitOk(["commit", "-qam", "Bad port"], dir);
    const push = await git(["push", "origin", "Production"], { cwd: dir });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain("remote: Edge Console refused this push; no branch was changed:");
    expect(push.stderr).toContain("Production: section.config.json environments.Production.origin.port: must be a number from 1 to 65535");
    expect(push.stderr).toContain("[remote rejected] Production -> Production (pre-receive hook declined)");
    expect(await remoteTip("Production")).toBe(before);
    await gitOk(["reset", "-q", "--hard", "origin/Production"], dir);
  });

  test("rewriting or deleting an environment branch is refused", async () => {
    const dir = path.join(work, "developer");
    const before = await remoteTip("Production");
    await gitOk(["reset", "-q", "--hard", "HEAD~1"], dir);
    fs.appendFileSync(path.join(dir, "varnish", "default.vcl"), "# another history\n");
    await gitOk(["commit", "-qam", "Rewrite"], dir);
    const forced = await git(["push", "--force", "origin", "Production"], { cwd: dir });
    expect(forced.code).not.toBe(0);
    expect(forced.stderr).toContain("Production: non-fast-forward update refused");
    const deleted = await git(["push", "origin", ":Production"], { cwd: dir });
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain("cannot be deleted");
    expect(await remoteTip("Production")).toBe(before);
    await gitOk(["reset", "-q", "--hard", "origin/Production"], dir);
  });

  test("a new branch Qa becomes an environment; production is refused; feature/x is a plain branch", async () => {
    const dir = path.join(work, "developer");
    await gitOk(["switch", "-qc", "Qa"], dir);
    editConfig(
      dir,
      (config) => (config.environments.Qa = { origin: { ...config.environments.Production.origin, address: "203.0.113.50" } }),
    );
    await gitOk(["commit", "-qam", "Qa environment"], dir);
    const push = await git(["push", "origin", "Qa"], { cwd: dir });
    expect(push.code, push.stderr).toBe(0);
    expect(push.stderr).toMatch(
      /remote: Edge Console: environment "Qa" created \(no domains yet\): http:\/\/localhost:\d+\/account\/\d+\/application\/\d+\/environment\/Qa/,
    );

    await owner.goto(appPath);
    const nav = owner.getByRole("navigation", { name: "Environments" });
    await expect(nav.getByRole("link", { name: "Qa", exact: true })).toBeVisible();
    await nav.getByRole("link", { name: "Qa", exact: true }).click();
    await expect(owner.getByText("This environment has no domains.")).toBeVisible();
    await expect(owner.getByText('"address": "203.0.113.50"')).toBeVisible();
    await snap(owner, "git-05-environment-from-branch");

    const twin = await git(["push", "origin", "Qa:production"], { cwd: dir });
    expect(twin.code).not.toBe(0);
    expect(twin.stderr).toContain('production: differs only in case from the environment "Production"');

    await gitOk(["switch", "-qc", "feature/x"], dir);
    fs.writeFileSync(path.join(dir, "section.config.json"), "{ work in progress");
    // 3 MB that do not compress: git streams the push body chunked (over http.postBuffer), through the route as is.
    fs.writeFileSync(path.join(dir, "blob.bin"), crypto.randomBytes(3 * 1024 * 1024));
    await gitOk(["add", "blob.bin"], dir);
    await gitOk(["commit", "-qam", "WIP"], dir);
    const feature = await git(["push", "origin", "feature/x"], { cwd: dir, env: { GIT_TRACE_CURL: "1", GIT_TRACE_CURL_NO_DATA: "1" } });
    expect(feature.code, feature.stderr).toBe(0);
    expect(feature.stderr).toMatch(/=> Send header: Transfer-Encoding: chunked/i);
    expect(feature.stderr).toContain("[new branch]      feature/x -> feature/x");
    await owner.goto(appPath);
    await expect(owner.getByRole("navigation", { name: "Environments" }).getByRole("link")).toHaveText(["Production", "Qa"]);
  });

  test("the audit log shows each accepted push and the environment it created", async () => {
    await owner.goto(`/account/${accountId}/audit`);
    const log = owner.getByRole("table");
    await expect(log.getByText("git.push")).toHaveCount(3); // Production, Qa, feature/x
    await expect(log.getByText("environment.create")).toHaveCount(1);
    await expect(log.getByText("refs/heads/feature/x")).toBeVisible();
    await snap(owner, "git-06-audit-log");
  });
});
