import { test as base } from "@playwright/test";
import { connectToConsole, disconnectFromConsole } from "./db";
import * as people from "./people";

export { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
export type { Person } from "./people";

/**
 * Playwright's `test` with `people`: signs users up, signs browsers in and creates accounts, applications and
 * memberships through the product's own functions in the test process (e2e/people.ts), on the e2e console's
 * database. Worker-scoped, so `beforeAll` hooks may use it too; the worker closes its connections at the end.
 *
 *   test("…", async ({ page, people }) => {
 *     const owner = await people.signUp(page, `owner.${label}@example.com`); // page's browser signed in
 *     const accountId = await people.createAccount(owner, `Team ${label}`);
 *     const appPath = await people.createApplication(owner, accountId, `www.${label}.test`);
 *     await page.goto(appPath);
 */
export const test = base.extend<object, { people: typeof people }>({
  people: [
    async ({}, use) => {
      connectToConsole();
      await use(people);
      await disconnectFromConsole();
    },
    { scope: "worker" },
  ],
});
