import fs from "node:fs";
import path from "node:path";
import type { Locator } from "@playwright/test";
import { expect, test, type Page } from "./fixtures";
import type { DnsFailureMode, DnsRecordInput } from "../lib/testing/dns-server";
import { E2E } from "./env";
import { dns, linkFromMail, mailbox, snap, uniqueLabel } from "./helpers";

// What the application page says about each go-live status (SPEC §3.5): for every case the DNS is set through the
// loopback server's control API, "Verify now" is pressed, and the domain's panel must show what was found, what is
// expected, and the one sentence on what to change — asserted word for word. Each panel is kept as a screenshot.

const EDGE = E2E.edgeIpv4;
const target = (hostname: string) => `${hostname}.${E2E.edgeCnameSuffix}`;

/** Opens "Add domain" on the application page and submits `hostname`; waits for its panel. */
async function addDomain(page: Page, hostname: string): Promise<Locator> {
  const summary = page.getByText("+ Add domain");
  if (await summary.isVisible()) await summary.click();
  const form = page.getByRole("form", { name: "Add domain" });
  await form.getByLabel("Hostname").fill(hostname);
  await form.getByRole("button", { name: "Add domain" }).click();
  const panel = page.getByTestId(`domain-${hostname}`);
  await expect(panel).toBeVisible();
  return panel;
}

/** Presses "Verify now" on a panel and waits for the status badge to read `badge`. */
async function verify(panel: Locator, badge: string): Promise<void> {
  await panel.getByRole("button", { name: "Verify now" }).click();
  await expect(panel.locator("[data-status]").first()).toHaveText(badge);
}

/** The text of a row of the panel's "Last check" list (`Found`, `A`, `AAAA`, `TXT challenge`, `Expected`). */
function lastCheckRow(panel: Locator, term: string): Locator {
  return panel.getByRole("region", { name: "Last check" }).locator(`dt:text-is("${term}") + dd`);
}

/** Saves a screenshot of one domain panel under test-results/screenshots/<name>.png. */
async function snapPanel(panel: Locator, name: string): Promise<void> {
  fs.mkdirSync(E2E.screenshots, { recursive: true });
  await panel.screenshot({ path: path.join(E2E.screenshots, `${name}.png`) });
}

type Case = {
  name: string;
  /** Hostname: a subdomain of the application's apex, or an apex of its own. */
  hostname: string;
  /** Records to set (name → records, optional failure mode) before pressing Verify now. */
  dns: Record<string, { records: DnsRecordInput[]; mode?: DnsFailureMode }>;
  badge: string;
  sentence: string;
  found: string;
  a?: string;
  aaaa?: string;
  expected: string;
};

test("explanations: each status shows what was found, what is expected and what to change", async ({ page, people }) => {
  test.setTimeout(120_000);
  const label = uniqueLabel();
  const base = `expl-${label}.test`;
  const owner = `expl.${label}@example.com`;
  const ownerUser = await people.signUp(page, owner);
  const accountId = await people.createAccount(ownerUser, `Explain ${label}`);
  const appPath = await people.createApplication(ownerUser, accountId, `www.${base}`);

  const h = (sub: string) => `${sub}.${base}`;
  const apexCname = `apexcname-${label}.test`;
  const apexForeign = `apexforeign-${label}.test`;
  const apexAaaa = `apexaaaa-${label}.test`;
  const apexRecords = `A ${EDGE}`;
  const cases: Case[] = [
    {
      name: "live",
      hostname: h("live"),
      dns: { [h("live")]: { records: [{ type: "CNAME", value: target(h("live")) }] } },
      badge: "Live",
      sentence: `${h("live")} points to ${target(h("live"))}; nothing to change.`,
      found: `${h("live")} → ${target(h("live"))}`,
      expected: `CNAME ${target(h("live"))}`,
    },
    {
      name: "foreign-cname",
      hostname: h("shop"),
      dns: {
        [h("shop")]: { records: [{ type: "CNAME", value: "lb-7.othercdn.example.net" }] },
        "lb-7.othercdn.example.net": { records: [{ type: "A", value: "198.51.100.7" }] },
      },
      badge: "Misconfigured",
      sentence: `${h("shop")} points to lb-7.othercdn.example.net; point it to ${target(h("shop"))}.`,
      found: `${h("shop")} → lb-7.othercdn.example.net`,
      a: "198.51.100.7",
      aaaa: "none",
      expected: `CNAME ${target(h("shop"))}`,
    },
    {
      name: "apex-cname",
      hostname: apexCname,
      dns: {
        [apexCname]: { records: [{ type: "CNAME", value: `www.${base}` }] },
        [`www.${base}`]: { records: [{ type: "A", value: "198.51.100.8" }] },
      },
      badge: "Misconfigured",
      sentence: `${apexCname} points to www.${base}; an apex cannot hold a CNAME: replace it with A records for ${EDGE} (or an ALIAS to ${target(apexCname)}).`,
      found: `${apexCname} → www.${base}`,
      a: "198.51.100.8",
      aaaa: "none",
      expected: apexRecords,
    },
    {
      name: "apex-foreign-a",
      hostname: apexForeign,
      dns: { [apexForeign]: { records: [{ type: "A", value: "198.51.100.20" }] } },
      badge: "Misconfigured",
      sentence: `Replace the A record 198.51.100.20 of ${apexForeign} with A records for ${EDGE} (or an ALIAS to ${target(apexForeign)}).`,
      found: `${apexForeign} (no CNAME)`,
      a: "198.51.100.20",
      aaaa: "none",
      expected: apexRecords,
    },
    {
      name: "extra-aaaa",
      hostname: apexAaaa,
      dns: {
        [apexAaaa]: {
          records: [
            { type: "A", value: EDGE },
            { type: "AAAA", value: "2001:db8::1" },
          ],
        },
      },
      badge: "Misconfigured",
      sentence: `Remove the AAAA record 2001:db8::1 from ${apexAaaa}.`,
      found: `${apexAaaa} (no CNAME)`,
      a: EDGE,
      aaaa: "2001:db8::1",
      expected: apexRecords,
    },
    {
      name: "nxdomain",
      hostname: h("missing"),
      dns: {},
      badge: "Not found",
      sentence: `${h("missing")} does not exist in DNS: create a CNAME record to ${target(h("missing"))}.`,
      found: `${h("missing")} does not exist (NXDOMAIN)`,
      expected: `CNAME ${target(h("missing"))}`,
    },
    {
      name: "error-never-checked",
      hostname: h("broken"),
      dns: { [h("broken")]: { records: [], mode: "servfail" } },
      badge: "DNS error",
      sentence: `The DNS resolver answered SERVFAIL for ${h("broken")}; nothing to change yet — the check is retried automatically.`,
      found: "no answer (SERVFAIL)",
      expected: `CNAME ${target(h("broken"))}`,
    },
    {
      name: "dangling",
      hostname: h("old"),
      dns: { [h("old")]: { records: [{ type: "CNAME", value: `gone.${base}` }] } },
      badge: "Misconfigured",
      sentence: `${h("old")} points to gone.${base}, which does not exist; point it to ${target(h("old"))}.`,
      found: `${h("old")} → gone.${base} (does not exist)`,
      expected: `CNAME ${target(h("old"))}`,
    },
  ];

  await page.goto(appPath);
  for (const c of cases) {
    // Added first, DNS set second: a hostname already pointing at the edge when added must prove ownership (below).
    const panel = await addDomain(page, c.hostname);
    for (const [name, entry] of Object.entries(c.dns)) await dns.set(name, entry.records, entry.mode ?? null);
    await verify(panel, c.badge);
    const said = c.badge === "DNS error" ? "The check failed (DNS error); it is retried automatically." : `Checked: ${c.badge}.`;
    await expect(panel.getByRole("status"), c.name).toHaveText(said);
    const lastCheck = panel.getByRole("region", { name: "Last check" });
    await expect(lastCheck.locator("p").first(), c.name).toHaveText(c.sentence);
    await expect(lastCheckRow(panel, "Found"), c.name).toHaveText(c.found);
    if (c.a) await expect(lastCheckRow(panel, "A"), c.name).toHaveText(c.a);
    else await expect(lastCheckRow(panel, "A"), c.name).toHaveCount(0);
    if (c.aaaa) await expect(lastCheckRow(panel, "AAAA"), c.name).toHaveText(c.aaaa);
    await expect(lastCheckRow(panel, "Expected"), c.name).toHaveText(c.expected);
    // The records to create are listed above, whatever was found.
    await expect(panel.locator("table").first()).toContainText(c.expected.split(" ")[1]);
    await snapPanel(panel, `expl-${c.name}`);
  }

  // Ownership: the hostname already pointed at the edge when it was added, so it must prove control by TXT.
  const claimed = h("claimed");
  await dns.set(claimed, [{ type: "CNAME", value: target(claimed) }]);
  const panel = await addDomain(page, claimed);
  const txtRow = panel.locator("table").first().locator("tr", { hasText: "TXT" });
  await expect(txtRow).toContainText(`_edge-challenge.${claimed}`);
  const token = (await txtRow.locator("td").nth(2).locator("span").first().textContent())!.trim();
  expect(token).toMatch(/^[a-z2-7]{32}$/); // lower-case base32, 160 bits (lib/tokens/verification-token)
  await verify(panel, "Misconfigured");
  await expect(panel.getByRole("region", { name: "Last check" }).locator("p").first()).toHaveText(
    `${claimed} already pointed at the edge when it was added: create a TXT record _edge-challenge.${claimed} with the value ${token} to prove you control it.`,
  );
  await expect(lastCheckRow(panel, "Found")).toHaveText(`${claimed} → ${target(claimed)}`);
  await expect(lastCheckRow(panel, "TXT challenge")).toHaveText("none");
  await expect(lastCheckRow(panel, "Expected")).toHaveText(`CNAME ${target(claimed)}, TXT _edge-challenge.${claimed} ${token}`);
  await snapPanel(panel, "expl-ownership");

  // The live domain stops pointing at the edge: Verify now (once its 10 s are up) flags it, and the owner gets a mail.
  const live = page.getByTestId(`domain-${h("live")}`);
  await dns.set(h("live"), [{ type: "CNAME", value: "lb-7.othercdn.example.net" }]);
  await expect(async () => {
    await live.getByRole("button", { name: "Verify now" }).click();
    await expect(live.locator("[data-status]").first()).toHaveText("Misconfigured", { timeout: 2000 });
  }).toPass({ timeout: 20_000, intervals: [1000] });
  await expect(live.getByText("Stopped pointing at the edge")).toBeVisible();
  await expect(live.getByRole("region", { name: "Last check" }).locator("p").first()).toHaveText(
    `${h("live")} points to lb-7.othercdn.example.net; point it to ${target(h("live"))}.`,
  );
  expect(await linkFromMail(owner, appPath)).toBe(appPath);
  const alerts = (await mailbox.mails(owner)).filter((m) => m.subject === `${h("live")} stopped pointing at the edge`);
  expect(alerts).toHaveLength(1);
  expect(alerts[0].text).toContain(`${h("live")} → lb-7.othercdn.example.net`);
  await snapPanel(live, "expl-flagged");

  // At phone width nothing widens the page; long hostnames and tokens wrap inside the panel.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto(appPath);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await snapPanel(page.getByTestId(`domain-${claimed}`), "expl-ownership-mobile");
  await snap(page, "expl-all-mobile");
});
