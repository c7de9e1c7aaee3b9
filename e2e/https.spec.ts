import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { expect, test as base, type Page } from "@playwright/test";
import { and, count, eq } from "drizzle-orm";
import { getDb, first } from "@/db";
import { auditEvents, domainCertificates } from "@/db/schema";
import { certificateKeyContext } from "../lib/https/edge";
import { openPrivateKey } from "../lib/https/secret-box";
import { makeTestPki, type TestPki } from "../lib/https/test-pki";
import { dnsControl } from "../lib/testing/dns-server";
import { connectToConsole, disconnectFromConsole } from "./db";
import { EDGE_E2E, targetEdgeConsole } from "./edge-env";
import { startOrigin, type TestOrigin } from "./edge-origin";
import { snap, uniqueLabel } from "./helpers";
import * as people from "./people";
import type { EdgeServeStatus, EdgePebbleStatus } from "./serve-edge";

// HTTPS as a user walks it (docs/product.md §9, docs/https.md), on the edge project's console with a real node and
// Debian's pebble (e2e/serve-edge.ts): an application created in the browser; its domain goes live while a CAA record
// allows only another CA, and the domain page's HTTPS panel names the record to fix (pebble saw no order); the record
// removed, "Renew now" gets a certificate that curl verifies against pebble's root, reaching the origin over TLS; the
// environment's redirect switch gives 308 (never for the ACME challenge path); own certificates with a wrong key, an
// expired one, one for another hostname and garbage are refused on their fields and nothing is stored; another
// account's member gets 404 and viewers and developers get no HTTPS buttons; and no private key shows in the page,
// the API body, or the console's and the agent's output.

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

const dns = dnsControl(`http://127.0.0.1:${EDGE_E2E.dnsControlPort}`);

async function serveStatus(): Promise<EdgeServeStatus> {
  return (await (await fetch(`${EDGE_E2E.controlUrl}/status`)).json()) as EdgeServeStatus;
}

async function pebbleStatus(): Promise<EdgePebbleStatus> {
  return (await (await fetch(`${EDGE_E2E.controlUrl}/pebble`)).json()) as EdgePebbleStatus;
}

/** Runs curl with `args`; resolves with its exit code and output (never rejects). */
function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "--max-time", "5", ...args], { encoding: "utf8" }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A plain-HTTP GET to the node's public port with `Host: host`, no redirects followed. */
function plainGet(host: string, urlPath: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: EDGE_E2E.bindAddress, port: EDGE_E2E.httpPort, path: urlPath, headers: { host }, agent: false },
      (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, location: response.headers.location });
      },
    );
    request.on("error", reject);
  });
}

/** Reloads `page` until `check` passes (every second), at most `timeoutMs`. */
async function untilOnPage(page: Page, check: () => Promise<void>, timeoutMs: number): Promise<void> {
  await expect(async () => {
    await page.reload();
    await check();
  }).toPass({ timeout: timeoutMs, intervals: [1000] });
}

/** A certificate for `hostname` signed by `issuer` that expired in 2021 (`openssl ca` with explicit dates). */
function expiredCertificate(pki: TestPki, name: string, issuer: string, hostname: string): string {
  fs.writeFileSync(path.join(pki.dir, "index.txt"), "");
  fs.writeFileSync(path.join(pki.dir, "serial"), "1000\n");
  fs.writeFileSync(
    path.join(pki.dir, "ca.cnf"),
    [
      "[ca]",
      "default_ca = c",
      "[c]",
      "database = index.txt",
      "new_certs_dir = .",
      "serial = serial",
      "default_md = sha256",
      "policy = p",
      "copy_extensions = copy",
      "unique_subject = no",
      "[p]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  pki.key(name);
  pki.openssl([
    "req",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    `/CN=${hostname}`,
    "-addext",
    `subjectAltName=DNS:${hostname}`,
    "-out",
    `${name}.csr`,
  ]);
  pki.openssl([
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-cert",
    `${issuer}.crt`,
    "-keyfile",
    `${issuer}.key`,
    "-startdate",
    "20210101000000Z",
    "-enddate",
    "20210401000000Z",
    "-notext",
    "-in",
    `${name}.csr`,
    "-out",
    `${name}.crt`,
  ]);
  return pki.read(`${name}.crt`);
}

test.describe.configure({ mode: "serial" });

test.describe("HTTPS: the domain page's panel, a certificate from pebble, served by the node", () => {
  const label = uniqueLabel();
  const zone = `tls-${label}.test`;
  const hostname = `www.${zone}`;
  let origin: TestOrigin;
  let page: Page;
  let appPath = "";
  let domainPath = "";
  let accountId = 0;
  let work = "";
  let rootFile = "";
  let pki: TestPki;

  test.beforeAll(async ({ browser }) => {
    const status = await serveStatus();
    test.skip(status.state === "no-tools", `HTTPS journeys skipped: ${status.message}`);
    expect(status.state, `the edge node did not start: ${status.message}\n${status.agentLog.slice(-40).join("\n")}`).toBe("ready");
    if (!status.acme && process.env.CI !== "true") test.skip(true, "HTTPS journeys skipped: pebble or openssl is not installed");
    expect(status.acme, "pebble runs beside the edge console").toBe(true);
    origin = await startOrigin(label);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "ec-e2e-https-"));
    rootFile = path.join(work, "pebble-root.pem");
    fs.writeFileSync(rootFile, (await pebbleStatus()).rootPem);
    pki = makeTestPki();
    page = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl })).newPage();
  });

  test.afterAll(async () => {
    await origin?.stop();
    pki?.remove();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test("the domain goes live: a CAA for another CA is named on the panel before any order; fixed, Renew now issues and curl reaches the origin over TLS", async ({
    people,
  }) => {
    test.setTimeout(150_000);
    const owner = await people.signUp(page, `https-owner.${label}@example.com`);
    accountId = await people.createAccount(owner, `HTTPS ${label}`);

    await page.goto(`/account/${accountId}`);
    await page.getByRole("link", { name: "New application" }).click();
    await page.getByLabel("Hostname").fill(hostname);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByLabel("Origin address").fill(origin.address);
    await page.getByLabel("Protocol").selectOption("http");
    await page.getByLabel("Port").fill(String(origin.port));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByRole("button", { name: "Create application" }).click();
    await expect(page).toHaveURL(/\/account\/\d+\/application\/\d+$/);
    appPath = new URL(page.url()).pathname;
    // The node serves the new environment (its report is what makes it an active node for the certificate order).
    await page.goto(`${appPath}/environment/Production`);
    await expect(async () => {
      await page.reload();
      await expect(page.getByTestId("edge-serving")).toContainText(/on 1 of 1 nodes?/, { timeout: 1000 });
    }).toPass({ timeout: 30_000 });
    await page.goto(appPath);

    // The customer's DNS: A at the edge, and a CAA on the zone that allows only another CA.
    await dns.set(hostname, [{ type: "A", value: EDGE_E2E.bindAddress }]);
    await dns.set(zone, [{ type: "CAA", value: '0 issue "digicert.com"' }]);
    const ordersBefore = (await pebbleStatus()).orders;

    const panel = page.getByTestId(`domain-${hostname}`);
    await panel.getByRole("button", { name: "Verify now" }).click();
    await expect(panel.locator("[data-status]").first()).toHaveText("Live");
    await panel.getByRole("link", { name: "HTTPS", exact: true }).click();
    await expect(page).toHaveURL(/\/domain\/\d+/);
    await expect(page.getByRole("heading", { name: "HTTPS", exact: true })).toBeVisible();
    domainPath = new URL(page.url()).pathname;

    // Going live woke the certificate scheduler: the pre-flight refuses and says what to fix.
    const https = page.getByTestId("https-panel");
    await untilOnPage(
      page,
      async () =>
        expect(page.getByTestId("https-failure")).toContainText(
          `CAA records: CAA on ${zone} allows only digicert.com: add CAA 0 issue "pebble.test" on ${zone}.`,
          { timeout: 500 },
        ),
      30_000,
    );
    await expect(https.getByTestId("https-state")).toHaveText("Certificate order failed");
    await expect(page.getByTestId("https-failure")).toContainText("Next try:");
    expect((await pebbleStatus()).orders, "pebble saw no order").toBe(ordersBefore);
    await snap(page, "https-01-caa-refused");

    // The record fixed, Renew now: issued within 30 s, served by the node over TLS.
    await dns.remove(zone);
    await https.getByRole("button", { name: "Renew now" }).click();
    await expect(https.getByRole("status")).toHaveText("Renewal queued: the status below follows it.");
    const renewed = Date.now();
    await untilOnPage(
      page,
      async () => expect(https.getByTestId("https-state")).toHaveText("Certificate issued", { timeout: 500 }),
      30_000,
    );
    console.log(`https e2e: issued and shown ${Date.now() - renewed} ms after Renew now`);
    await expect(https).toContainText("Pebble Intermediate");
    await expect(https).toContainText(hostname);
    await expect(page.getByTestId("https-failure")).toHaveCount(0);
    // The button waits out its rate limit and says until when.
    await expect(https.getByRole("button", { name: "Renew now" })).toBeDisabled();
    await expect(https.getByTestId("renew-blocked")).toContainText(/^Renew now can be used again at .+ \(once per 5 minutes\)\.$/);
    await snap(page, "https-02-issued");

    const resolve = `${hostname}:${EDGE_E2E.httpsPort}:${EDGE_E2E.bindAddress}`;
    let served = { code: -1, stdout: "", stderr: "" };
    for (let i = 0; i < 60 && served.code !== 0; i++) {
      served = await curl(["--resolve", resolve, "--cacert", rootFile, `https://${hostname}:${EDGE_E2E.httpsPort}/over-tls`]);
      if (served.code !== 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(served, "curl verifies the node's certificate against pebble's root").toMatchObject({ code: 0 });
    expect(served.stdout).toBe(`origin ${label} answered /over-tls (request 1)\n`);
  });

  test("Redirect HTTP to HTTPS on the environment page: 308 with the port, never for the ACME challenge path", async () => {
    await page.goto(`${appPath}/environment/Production`);
    const redirect = page.getByTestId("redirect-https");
    await expect(redirect).toContainText("HTTP requests are served over HTTP.");
    await redirect.getByRole("button", { name: "Redirect HTTP to HTTPS" }).click();
    await expect(redirect.getByRole("status")).toHaveText("HTTP requests are redirected to HTTPS (308) for hostnames with a certificate.");
    await expect(redirect.getByRole("button", { name: "Stop redirecting HTTP to HTTPS" })).toBeVisible();
    await snap(page, "https-03-redirect-on");
    await expect(async () => {
      expect(await plainGet(hostname, "/a?b=1")).toEqual({ status: 308, location: `https://${hostname}:${EDGE_E2E.httpsPort}/a?b=1` });
    }).toPass({ timeout: 10_000 });
    const challenge = await plainGet(hostname, "/.well-known/acme-challenge/no-such-token");
    expect(challenge.status).not.toBe(308);
    const followed = await curl([
      "-L",
      "--resolve",
      `${hostname}:${EDGE_E2E.httpPort}:${EDGE_E2E.bindAddress}`,
      "--resolve",
      `${hostname}:${EDGE_E2E.httpsPort}:${EDGE_E2E.bindAddress}`,
      "--cacert",
      rootFile,
      `http://${hostname}:${EDGE_E2E.httpPort}/followed`,
    ]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain("answered /followed");
  });

  test("a second domain: issued on its own once live; a foreign AAAA added later is named on its panel by Renew now, no order at pebble", async () => {
    test.setTimeout(90_000);
    const shop = `shop.${zone}`;
    await page.goto(`${appPath}/environment/Production`);
    const summary = page.getByText("+ Add domain");
    if (await summary.isVisible()) await summary.click();
    const form = page.getByRole("form", { name: "Add domain" });
    await form.getByLabel("Hostname").fill(shop);
    await form.getByRole("button", { name: "Add domain" }).click();
    const panel = page.getByTestId(`domain-${shop}`);
    await expect(panel).toBeVisible();
    // Pointed at the edge after it was added (a hostname already there when added needs the TXT proof).
    await dns.set(shop, [{ type: "A", value: EDGE_E2E.bindAddress }]);
    await panel.getByRole("button", { name: "Verify now" }).click();
    await expect(panel.locator("[data-status]").first()).toHaveText("Live");
    await panel.getByRole("link", { name: "HTTPS", exact: true }).click();
    await expect(page).toHaveURL(/\/domain\/\d+/);
    const https = page.getByTestId("https-panel");
    // Going live is enough: no button pressed.
    await untilOnPage(
      page,
      async () => expect(https.getByTestId("https-state")).toHaveText("Certificate issued", { timeout: 500 }),
      30_000,
    );
    const serial = (await https.locator("dd").nth(3).textContent())?.trim();

    await dns.set(shop, [
      { type: "A", value: EDGE_E2E.bindAddress },
      { type: "AAAA", value: "2001:db8::1" },
    ]);
    const ordersBefore = (await pebbleStatus()).orders;
    await https.getByRole("button", { name: "Renew now" }).click();
    await expect(https.getByRole("status")).toHaveText("Renewal queued: the status below follows it.");
    await untilOnPage(
      page,
      async () =>
        expect(page.getByTestId("https-failure")).toContainText(
          `DNS records: AAAA 2001:db8::1 on ${shop} does not point at the edge: remove it.`,
          { timeout: 500 },
        ),
      20_000,
    );
    // The served certificate stays while its renewal fails, and the panel says so.
    await expect(https.getByTestId("https-state")).toHaveText("Renewal failed: the certificate below is still served");
    await expect(https.locator("dd").nth(3)).toHaveText(serial ?? "");
    expect((await pebbleStatus()).orders, "pebble saw no order").toBe(ordersBefore);
    await snap(page, "https-03b-aaaa-refused");
    await dns.set(shop, [{ type: "A", value: EDGE_E2E.bindAddress }]);
  });

  test("own certificates refused on their fields (wrong key, expired, another hostname, garbage); nothing is stored", async () => {
    pki.ca("Own CA");
    const chain = pki.issue("own", "Own CA", [hostname]);
    const otherKey = pki.key("other");
    const expired = expiredCertificate(pki, "old", "Own CA", hostname);
    const elsewhere = pki.issue("elsewhere", "Own CA", [`shop.other-${label}.test`]);
    const cases: { name: string; chain: string; key: string; field: "public_certificates" | "private_key"; message: string | RegExp }[] = [
      {
        name: "wrong key",
        chain,
        key: otherKey,
        field: "private_key",
        message: "The private key does not match the certificate: it belongs to another certificate.",
      },
      {
        name: "expired",
        chain: expired,
        key: pki.read("old.key"),
        field: "public_certificates",
        message: /^The certificate expired on 2021-04-01/,
      },
      {
        name: "another hostname",
        chain: elsewhere,
        key: pki.read("elsewhere.key"),
        field: "public_certificates",
        message: `The certificate covers shop.other-${label}.test, not ${hostname}.`,
      },
      {
        name: "garbage",
        chain: "hello, this is not PEM",
        key: "neither is this",
        field: "public_certificates",
        message: /^No certificate found: paste the PEM chain/,
      },
    ];
    const audits = async () => {
      connectToConsole();
      const row = await first(
        getDb()
          .select({ n: count() })
          .from(auditEvents)
          .where(and(eq(auditEvents.action, "certificate.upload"), eq(auditEvents.targetLabel, hostname))),
      );
      return row?.n ?? 0;
    };
    await page.goto(domainPath);
    const https = page.getByTestId("https-panel");
    const issuedSerial = await https.locator("dd").nth(3).textContent();
    for (const c of cases) {
      await page.goto(domainPath);
      await https.getByText("Use an own certificate").click();
      await page.getByLabel("Certificate chain (PEM)").fill(c.chain);
      await page.getByLabel("Private key (PEM, unencrypted)").fill(c.key);
      await page.getByRole("button", { name: "Upload certificate" }).click();
      const error = page.locator(`#${c.field}-error`);
      await expect(error, c.name).toHaveText(c.message);
      await expect(
        page.getByLabel(c.field === "private_key" ? "Private key (PEM, unencrypted)" : "Certificate chain (PEM)"),
      ).toHaveAttribute("aria-invalid", "true");
      if (c.name === "garbage") await expect(page.locator("#private_key-error")).toHaveText(/^No private key found/);
      // The chain stays in its field for a correction; the key is never sent back.
      await expect(page.getByLabel("Certificate chain (PEM)")).toHaveValue(c.chain);
      await expect(page.getByLabel("Private key (PEM, unencrypted)")).toHaveValue("");
      await snap(page, `https-04-refused-${c.name.replace(/ /g, "-")}`);
    }
    await page.goto(domainPath);
    await expect(https.getByTestId("https-state")).toHaveText("Certificate issued");
    await expect(https.locator("dd").nth(3)).toHaveText(issuedSerial ?? "");
    expect(await audits()).toBe(0);
    connectToConsole();
    const row = await first(getDb().select().from(domainCertificates).where(eq(domainCertificates.hostname, hostname)));
    expect(row).toMatchObject({ source: "acme", state: "issued" });
  });

  test("another account's member gets 404; viewers and developers see the status without HTTPS buttons", async ({ browser, people }) => {
    const stranger = await people.createPerson(`https-stranger.${label}@example.com`);
    await people.createAccount(stranger, `Stranger ${label}`);
    const strangerPage = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl })).newPage();
    await people.signIn(strangerPage, stranger);
    const answer = await strangerPage.goto(domainPath);
    expect(answer?.status()).toBe(404);
    await expect(strangerPage.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(strangerPage.getByText(hostname)).toHaveCount(0);
    await strangerPage.close();

    for (const role of ["viewer", "developer"] as const) {
      const member = await people.createPerson(`https-${role}.${label}@example.com`);
      await people.addMembership(member.email, accountId, role);
      const memberPage = await (await browser.newContext({ baseURL: EDGE_E2E.consoleUrl })).newPage();
      await people.signIn(memberPage, member);
      await memberPage.goto(domainPath);
      const https = memberPage.getByTestId("https-panel");
      await expect(https.getByTestId("https-state")).toHaveText("Certificate issued");
      await expect(https.getByRole("button")).toHaveCount(0);
      await expect(https.getByText("Use an own certificate")).toHaveCount(0);
      if (role === "viewer") await snap(memberPage, "https-05-viewer-domain-page");
      await memberPage.goto(`${appPath}/environment/Production`);
      await expect(memberPage.getByTestId("redirect-https").getByRole("button")).toHaveCount(0);
      await memberPage.close();
    }
  });

  test("no private key in the domain page, the API body, or the console's and the agent's output", async () => {
    connectToConsole();
    const row = (await first(getDb().select().from(domainCertificates).where(eq(domainCertificates.hostname, hostname))))!;
    const key = openPrivateKey(certificateKeyContext(row.domainId), row.privateKeySealed!);
    const lines = key
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("-----"));
    expect(lines.length).toBeGreaterThan(1);

    await page.goto(domainPath);
    const html = await page.content();
    // An API token made in Settings, then the REST API's HTTPS status (docs/product.md §9).
    await page.goto("/settings/tokens");
    await page.getByLabel("Name").fill("https e2e");
    await page.getByRole("button", { name: "Create token" }).click();
    const token = ((await page.getByTestId("new-token-value").textContent()) ?? "").trim();
    const api = await fetch(`${EDGE_E2E.consoleUrl}/api/v1/account/${accountId}/domain/${hostname}/https`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await api.text();
    expect(api.status, body).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ hostname, status: "issued", type: "acme" });
    const output = await (await fetch(`${EDGE_E2E.controlUrl}/output`)).text();
    expect(output).toContain("[certificates] issued");
    expect(body).not.toMatch(/PRIVATE KEY/);
    expect(output).not.toMatch(/PRIVATE KEY-----/);
    // (The page itself shows "-----BEGIN PRIVATE KEY-----" as the upload field's placeholder: the key lines are what count.)
    for (const [where, text] of [
      ["domain page", html],
      ["API body", body],
      ["console and agent output", output],
    ] as const) {
      for (const line of lines) expect(text.includes(line), `${where} holds a line of the private key`).toBe(false);
    }
  });
});
