import fs from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";
import { dnsControl } from "../lib/testing/dns-server";
import { smtpControl } from "../lib/testing/smtp-server";
import { E2E } from "./env";

/** Control client of the loopback DNS server the console resolves through (started by e2e/serve.ts). */
export const dns = dnsControl(E2E.dnsControlUrl);

/** Mailbox of the loopback SMTP server the console sends through (started by e2e/serve.ts). */
export const mailbox = smtpControl(E2E.smtpControlUrl);

/**
 * Waits for the newest mail to `to` whose text holds a console link starting with `pathPrefix` (e.g. "/invite/")
 * and returns that link's path (the host is the console's APP_URL).
 */
export async function linkFromMail(to: string, pathPrefix: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const pattern = new RegExp(`https?://[^\\s"<>]+${pathPrefix.replace(/[/.]/g, "\\$&")}[^\\s"<>]*`, "g");
  while (Date.now() < deadline) {
    const mails = await mailbox.mails(to);
    for (const m of mails.reverse()) {
      const found = m.text.match(pattern);
      if (found) return new URL(found[found.length - 1]).pathname;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mail to ${to} with a ${pathPrefix} link`);
}

/** A name unique to this run, e.g. `k3x9q2`. */
export function uniqueLabel(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

/** Saves a full-page screenshot under test-results/screenshots/<name>.png (a test artifact). */
export async function snap(page: Page, name: string): Promise<void> {
  fs.mkdirSync(E2E.screenshots, { recursive: true });
  await page.screenshot({ path: path.join(E2E.screenshots, `${name}.png`), fullPage: true });
}

/** Creates an account (organization) from /account/new; returns its id. */
export async function createAccount(page: Page, name: string): Promise<number> {
  await page.getByLabel("Account name").fill(name);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/account\/\d+$/);
  return Number(new URL(page.url()).pathname.split("/")[2]);
}
