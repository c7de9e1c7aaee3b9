import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { expect, test as base, type Page } from "@playwright/test";
import { editorReady, replaceEditorText } from "./code-editor";
import { connectToConsole, disconnectFromConsole } from "./db";
import { EDGE_E2E, targetEdgeConsole } from "./edge-env";
import { startOrigin, type TestOrigin } from "./edge-origin";
import { snap, uniqueLabel } from "./helpers";
import * as people from "./people";
import type { EdgeServeStatus } from "./serve-edge";

// The edge end to end (docs/product.md §8, docs/edge.md): a console and a real edge node (`npm run edge`: HAProxy,
// varnishd) started by e2e/serve-edge.ts, and a real origin on 127.0.0.1. An application created in the browser is
// served through the node's public port on 127.0.0.2 with its Host (what `curl --resolve` does); Staging with its own
// VCL behaves differently while Production does not; a `git push` is served within 10 s; a broken VCL is refused with
// varnishd's message (editor and push) while the previous one keeps serving; the environment page says "on 1 of 1
// nodes"; an unknown host gets 404 not-configured; the node's health requests never reach the origin.

/**
 * e2e/fixtures.ts's `people`, aimed at the edge project's console first (its data folder, port and secret): users,
 * accounts and sessions are made by the product's own functions on that console's database (e2e/people.ts).
 */
const test = base.extend<object, { people: typeof people }>({
  people: [
    async ({}, use) => {
      targetEdgeConsole();
      connectToConsole();
      await use(people);
      await disconnectFromConsole();
    },
    { scope: "worker" },
  ],
});

type EdgeAnswer = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** GET `path` from the edge node's HTTP port with `Host: host`, as `curl --resolve host:port:127.0.0.2` would. */
function viaEdge(host: string, urlPath: string, headers: Record<string, string> = {}): Promise<EdgeAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: EDGE_E2E.bindAddress, port: EDGE_E2E.httpPort, path: urlPath, method: "GET", headers: { host, ...headers }, agent: false },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from the edge for ${host}${urlPath} within 10 s`)));
    request.on("error", reject);
    request.end();
  });
}

/** What e2e/serve-edge.ts says about the node (state, message, the agent's last lines). */
async function serveStatus(): Promise<EdgeServeStatus> {
  return (await (await fetch(`${EDGE_E2E.controlUrl}/status`)).json()) as EdgeServeStatus;
}

/** The agent's last output lines, for failure messages (empty when e2e/serve-edge.ts cannot be asked). */
async function agentLog(): Promise<string[]> {
  return serveStatus().then(
    (status) => status.agentLog,
    () => [],
  );
}

/**
 * Asks the edge for `host` + `urlPath` every 200 ms until `served` holds for an answer, and returns that answer;
 * fails after `timeoutMs` naming the last answer (a new state reaches the node through its long poll, then it
 * renders, checks and activates it: docs/edge.md "Applying, on the node").
 */
async function untilServed(host: string, urlPath: string, served: (a: EdgeAnswer) => boolean, timeoutMs: number): Promise<EdgeAnswer> {
  const deadline = Date.now() + timeoutMs;
  let last: EdgeAnswer | Error | null = null;
  while (Date.now() < deadline) {
    try {
      last = await viaEdge(host, urlPath);
      if (served(last)) return last;
    } catch (error) {
      last = error as Error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const seen =
    last instanceof Error ? last.message : last ? `${last.status} ${JSON.stringify(last.headers)} ${last.body.slice(0, 300)}` : "nothing";
  throw new Error(
    `the edge did not serve ${host}${urlPath} as expected within ${timeoutMs / 1000} s; last answer: ${seen}\n` +
      `the edge agent's last lines:\n${(await agentLog()).slice(-25).join("\n")}`,
  );
}

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs the git CLI without prompts, credential helpers or the machine's configuration. */
function git(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-c", "credential.helper=", ...args], {
      cwd,
      env: {
        NODE_ENV: "test",
        PATH: process.env.PATH,
        HOME: cwd,
        LANG: "C",
        LC_ALL: "C",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_TERMINAL_PROMPT: "0",
        GIT_AUTHOR_NAME: "Edge E2E",
        GIT_AUTHOR_EMAIL: "edge-e2e@example.com",
        GIT_COMMITTER_NAME: "Edge E2E",
        GIT_COMMITTER_EMAIL: "edge-e2e@example.com",
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

/** The listening sockets on the node's public ports with their processes, from `ss -ltnp` (iproute2). */
function listenersOnEdgePorts(): { local: string; processes: string[] }[] {
  const out = execFileSync("ss", ["-H", "-ltnp"], { encoding: "utf8" });
  const ports = new Set([`${EDGE_E2E.bindAddress}:${EDGE_E2E.httpPort}`, `${EDGE_E2E.bindAddress}:${EDGE_E2E.httpsPort}`]);
  return out
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => ports.has(cols[3] ?? ""))
    .map((cols) => ({
      local: cols[3],
      processes: [
        ...cols
          .slice(5)
          .join(" ")
          .matchAll(/\("([^"]+)",pid=\d+/g),
      ].map((m) => m[1]),
    }));
}

/** Adds `line` at the start of the body of `sub <name> {` in a VCL text (fails the test when there is none). */
function intoSub(vcl: string, name: string, line: string): string {
  const at = vcl.indexOf(`sub ${name} {`);
  expect(at, `the VCL has sub ${name}`).toBeGreaterThanOrEqual(0);
  const open = at + `sub ${name} {`.length;
  return `${vcl.slice(0, open)}\n    ${line}${vcl.slice(open)}`;
}

/** Opens the browser editor on `file` of an environment, replaces its text, saves it as a commit. */
async function saveInEditor(page: Page, environmentPath: string, file: string, edit: (text: string) => string, message: string) {
  await page.goto(`${environmentPath}/edit?path=${encodeURIComponent(file)}`);
  await replaceEditorText(page, edit(await editorReady(page)));
  await page.getByLabel("Commit message").fill(message);
  await page.getByRole("button", { name: "Save as a commit" }).click();
}

test.describe.configure({ mode: "serial" });

test.describe("the edge serves what the console says", () => {
  const label = uniqueLabel();
  const hostname = `www.edge-${label}.test`;
  const stagingHostname = `staging.edge-${label}.test`;
  let origin: TestOrigin;
  let page: Page;
  let appPath = "";
  let work = "";
  let cloneUrl = "";
  let gitToken = "";
  /** Answers of the edge that had to reach the origin (X-Cache MISS or PASS), counted by the journeys below. */
  let originFetches = 0;
  const fetched = (answer: EdgeAnswer) => {
    if (answer.status === 200 && answer.headers["x-cache"] !== "HIT") originFetches += 1;
    return answer;
  };
  const productionPath = () => `${appPath}/environment/Production`;

  test.beforeAll(async ({ browser }) => {
    const status = await serveStatus();
    test.skip(status.state === "no-tools", `edge journeys skipped: ${status.message}`);
    expect(status.state, `the edge node did not start: ${status.message}\n${status.agentLog.slice(-40).join("\n")}`).toBe("ready");
    origin = await startOrigin(label);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "ec-e2e-edge-work-"));
    page = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl })).newPage();
  });

  test.afterAll(async () => {
    await origin?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test("an application created in the browser is served through the edge: the origin's body, then X-Cache: HIT", async ({ people }) => {
    test.setTimeout(120_000);
    const owner = await people.signUp(page, `edge-owner.${label}@example.com`);
    const accountId = await people.createAccount(owner, `Edge ${label}`);

    // The wizard: hostname, origin 127.0.0.1:<port> over http (private origins allowed on this console), the
    // default stack (Varnish Cache), the account, review.
    await page.goto(`/account/${accountId}`);
    await page.getByRole("link", { name: "New application" }).click();
    await page.getByLabel("Hostname").fill(hostname);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByLabel("Origin address").fill(origin.address);
    await page.getByLabel("Protocol").selectOption("http");
    await page.getByLabel("Port").fill(String(origin.port));
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByRole("heading", { name: "Proxy stack" })).toBeVisible();
    await expect(page.getByRole("radio", { name: /Varnish Cache/ }).first()).toBeChecked();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await expect(page.getByText(`http://${origin.address}:${origin.port}`)).toBeVisible();
    await page.getByRole("button", { name: "Create application" }).click();
    await expect(page).toHaveURL(/\/account\/\d+\/application\/\d+$/);
    appPath = new URL(page.url()).pathname;
    await snap(page, "edge-01-application-created");

    // Served at once (docs/product.md §8 "Routable": no DNS change needed to try it): the origin's own body, a
    // MISS, then the same body from the cache.
    const first = fetched(await untilServed(hostname, "/e2e/page-1", (a) => a.status === 200, 30_000));
    expect(first.body).toBe(`origin ${label} answered /e2e/page-1 (request 1)\n`);
    expect(first.headers["x-cache"]).toBe("MISS");
    expect(first.headers["x-request-id"]).toBeTruthy();
    const second = fetched(await viaEdge(hostname, "/e2e/page-1"));
    expect(second.status).toBe(200);
    expect(second.headers["x-cache"]).toBe("HIT");
    expect(second.body).toBe(first.body);
    expect(origin.requests.filter((r) => r.url === "/e2e/page-1")).toHaveLength(1);

    // The origin saw the visitor's Host and the environment's X-Edge-Secret, as the environment page shows it.
    const seen = origin.requests[0];
    expect(seen.headers.host).toBe(hostname);
    await page.goto(productionPath());
    const secret = (await page.getByTestId("edge-secret").locator("code").textContent())?.trim();
    expect(secret).toBeTruthy();
    expect(seen.headers["x-edge-secret"]).toBe(secret);
    expect(Object.keys(seen.headers).filter((h) => h.startsWith("x-edge-") && h !== "x-edge-secret")).toEqual([]);

    // HAProxy owns the public ports; no Node process of ours listens on them (docs/product.md §8).
    const listeners = listenersOnEdgePorts();
    expect(listeners.map((l) => l.local).sort()).toEqual(
      [`${EDGE_E2E.bindAddress}:${EDGE_E2E.httpPort}`, `${EDGE_E2E.bindAddress}:${EDGE_E2E.httpsPort}`].sort(),
    );
    for (const l of listeners) {
      expect(l.processes.length, `${l.local} has a process`).toBeGreaterThan(0);
      expect(new Set(l.processes), `${l.local}: ${l.processes.join(", ")}`).toEqual(new Set(["haproxy"]));
    }
  });

  test("Staging with its own VCL, edited in the browser, behaves differently; Production is untouched", async () => {
    test.setTimeout(90_000);
    await page.goto(appPath);
    const summary = page.getByText("+ New environment");
    if (await summary.isVisible()) await summary.click();
    await page.getByLabel("Environment name").fill("Staging");
    await page.getByLabel("Source environment").selectOption("Production");
    await page.getByRole("form", { name: "New environment" }).getByLabel("Hostname").fill(stagingHostname);
    await page.getByRole("button", { name: "Create environment" }).click();
    await expect(page).toHaveURL(new RegExp(`${appPath}/environment/Staging$`));

    // Before its own change, Staging serves like Production (copied from it).
    const before = fetched(await untilServed(stagingHostname, "/e2e/staging-1", (a) => a.status === 200, 30_000));
    expect(before.body).toContain("answered /e2e/staging-1");
    expect(before.headers["x-e2e-flavour"]).toBeUndefined();

    await saveInEditor(
      page,
      `${appPath}/environment/Staging`,
      "varnish/default.vcl",
      (vcl) => intoSub(vcl, "vcl_deliver", 'set resp.http.X-E2E-Flavour = "staging";'),
      "Staging marks its answers",
    );
    await expect(page).toHaveURL(/\/environment\/Staging\/history\?notice=saved/);
    await snap(page, "edge-02-staging-vcl-saved");

    const staged = fetched(await untilServed(stagingHostname, "/e2e/staging-1", (a) => a.headers["x-e2e-flavour"] === "staging", 20_000));
    expect(staged.status).toBe(200);
    expect(staged.body).toContain("answered /e2e/staging-1");

    // Production: same hostname, same cache object as before, no Staging header.
    const production = fetched(await viaEdge(hostname, "/e2e/page-1"));
    expect(production.status).toBe(200);
    expect(production.headers["x-e2e-flavour"]).toBeUndefined();
    expect(production.headers["x-cache"]).toBe("HIT");
    // Cached objects never mix between environments: Staging's copy of a page is its own.
    const stagingPage = fetched(await viaEdge(stagingHostname, "/e2e/page-1"));
    expect(stagingPage.headers["x-e2e-flavour"]).toBe("staging");
    expect(stagingPage.headers["x-cache"]).toBe("MISS");
  });

  test("a git push changing the VCL is served within 10 s", async () => {
    test.setTimeout(90_000);
    // A personal API token made in Settings → API tokens (docs/product.md §3.6), then a clone of the repository.
    await page.goto("/settings/tokens");
    await page.getByLabel("Name").fill("edge e2e");
    await page.getByRole("button", { name: "Create token" }).click();
    gitToken = ((await page.getByTestId("new-token-value").textContent()) ?? "").trim();
    expect(gitToken).toMatch(/^ec_/);
    await page.goto(appPath);
    cloneUrl = (
      (await page
        .getByText(/\/git\/account\/\d+\/application\/\d+\/.+\.git$/)
        .first()
        .textContent()) ?? ""
    ).trim();
    const authed = cloneUrl.replace(/^http:\/\//, `http://token:${gitToken}@`);
    const clone = await git(["clone", "-q", "--branch", "Production", authed, "repo"], work);
    expect(clone.code, clone.stderr).toBe(0);

    const repo = path.join(work, "repo");
    const vclFile = path.join(repo, "varnish", "default.vcl");
    fs.writeFileSync(vclFile, intoSub(fs.readFileSync(vclFile, "utf8"), "vcl_deliver", `set resp.http.X-E2E-Pushed = "${label}";`));
    expect((await git(["commit", "-q", "-am", "Mark answers from a push"], repo)).code).toBe(0);
    const push = await git(["push", "-q", "origin", "Production"], repo);
    expect(push.code, push.stderr).toBe(0);
    const pushed = Date.now();

    const served = fetched(await untilServed(hostname, "/e2e/page-1", (a) => a.headers["x-e2e-pushed"] === label, 10_000));
    expect(served.status).toBe(200);
    console.log(`edge e2e: push served after ${Date.now() - pushed} ms`);
    // Staging did not change.
    expect((await viaEdge(stagingHostname, "/e2e/page-1")).headers["x-e2e-pushed"]).toBeUndefined();
  });

  test("a broken VCL is refused with varnishd's message, in the editor and on push; the previous one keeps serving", async () => {
    test.setTimeout(90_000);
    const broken = (vcl: string) => intoSub(vcl, "vcl_recv", "set req.http.X-Broken = ;");

    // The editor: refused with varnishd's words, nothing committed.
    await saveInEditor(page, productionPath(), "varnish/default.vcl", broken, "A broken VCL");
    await expect(page.getByText(/varnish\/default\.vcl: varnishd refused it: .*\(line \d+, column \d+\)/)).toBeVisible();
    await expect(page).not.toHaveURL(/notice=saved/);
    await snap(page, "edge-03-broken-vcl-refused");

    // git push: refused before any branch moves, with varnishd's message on the remote: lines.
    const repo = path.join(work, "repo");
    const vclFile = path.join(repo, "varnish", "default.vcl");
    fs.writeFileSync(vclFile, broken(fs.readFileSync(vclFile, "utf8")));
    expect((await git(["commit", "-q", "-am", "A broken VCL"], repo)).code).toBe(0);
    const push = await git(["push", "origin", "Production"], repo);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/remote: .*varnishd/);
    expect(push.stderr).toContain("varnish/default.vcl");

    // The node still serves the last good VCL (the pushed marker).
    const still = fetched(await viaEdge(hostname, "/e2e/page-1"));
    expect(still.status).toBe(200);
    expect(still.headers["x-e2e-pushed"]).toBe(label);
  });

  test('the environment page says the edge serves it "on 1 of 1 nodes"', async () => {
    await page.goto(productionPath());
    // The node reports after each apply round (docs/edge.md "Desired state"): the line follows within seconds.
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId("edge-serving")).toContainText(/Production @ [0-9a-f]{7} on 1 of 1 nodes?/, { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await expect(page.getByTestId("edge-serving")).toHaveAttribute("data-tone", "ok");
    await snap(page, "edge-04-serving-on-1-of-1");
  });

  test("an unknown host gets 404 not-configured; the origin saw only visitors' requests, never a health request", async () => {
    const unknown = await viaEdge(`nobody-${label}.test`, "/");
    expect(unknown.status).toBe(404);
    expect(unknown.headers["x-edge-status"]).toBe("not-configured");
    // The page names no customer.
    for (const name of [hostname, stagingHostname, `edge-${label}`]) expect(unknown.body).not.toContain(name);

    // Every apply above sent health requests through the chain (docs/edge.md "Applying, on the node"); none
    // reached the origin: it saw exactly the visitors' requests that were not cache hits.
    expect(origin.requests.filter((r) => r.headers["x-edge-health"] !== undefined)).toEqual([]);
    expect(origin.requests.map((r) => r.url).filter((u) => !u.startsWith("/e2e/"))).toEqual([]);
    expect(origin.requests).toHaveLength(originFetches);

    // The origin goes away: a page not in the cache gets a fast 502 with a request id, never a hang.
    await origin.stop();
    const started = Date.now();
    const down = await viaEdge(hostname, "/e2e/after-origin-stopped");
    expect(down.status).toBe(502);
    expect(down.headers["x-request-id"]).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(6000);
  });
});
