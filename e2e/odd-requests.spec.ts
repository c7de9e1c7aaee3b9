import { expect, test } from "./fixtures";
import { uniqueLabel } from "./helpers";

// Requests no browser of ours sends, answered with a 4xx and never a 500 (docs/architecture.md, "Requests"):
// server actions with a null, malformed or foreign Origin (refused in proxy.ts before they run), and paths that are
// not valid percent-encoding (refused by scripts/server.mjs for pages, the API and git alike).

test("a server action with a null, malformed or foreign Origin gets 403 and does not run", async ({ page, people }) => {
  const label = uniqueLabel();
  const user = await people.signUp(page, `origin-${label}@example.test`);
  const accountId = await people.createAccount(user, `Origin ${label}`);
  await page.goto(`/account/${accountId}/settings`);

  // One real rename, to capture the action's request as the browser sends it.
  const captured = page.waitForRequest((r) => r.method() === "POST" && Boolean(r.headers()["next-action"]));
  // The settings page has three fields named after the account's name (its section, the name, the typed deletion confirmation).
  await page.getByRole("textbox", { name: "Account name", exact: true }).fill(`Renamed ${label}`);
  await page.getByRole("button", { name: "Save name" }).click();
  const call = await captured;
  await expect(page.getByText("Account renamed.")).toBeVisible();
  const body = call.postData() ?? "";
  expect(body).toContain(`Renamed ${label}`);

  for (const origin of ["null", "http://evil.example", "::::", "javascript:alert(1)", "http://localhost.evil.example", "ftp://localhost"]) {
    const replay = await page.request.post(call.url(), {
      headers: {
        "next-action": call.headers()["next-action"],
        "content-type": call.headers()["content-type"] ?? "text/plain;charset=UTF-8",
        origin,
      },
      data: body.replace(`Renamed ${label}`, `Hijacked ${label}`),
    });
    expect(replay.status(), `Origin: ${origin}`).toBe(403);
    expect(await replay.text()).toContain("Forbidden: the Origin header");
  }
  await page.reload();
  await expect(page.getByRole("textbox", { name: "Account name", exact: true })).toHaveValue(`Renamed ${label}`);
});

test("paths that are not valid percent-encoding get 400 on pages, the API and git", async ({ request }) => {
  for (const path of ["/invite/%", "/login%", "/account/%E0%A4%A/settings", "/reset-password/%zz"]) {
    const answer = await request.get(path, { maxRedirects: 0 });
    expect(answer.status(), path).toBe(400);
    expect(answer.headers()["content-type"]).toContain("text/plain");
  }
  for (const path of ["/api/v1/%", "/api/v1/account/%E0%A4%A", "/api/v1/account/1/application/%ff"]) {
    const answer = await request.get(path);
    expect(answer.status(), path).toBe(400);
    expect(answer.headers()["content-type"]).toContain("application/problem+json");
    const problem = await answer.json();
    expect(problem).toMatchObject({ status: 400, type: "https://edge-console.dev/problems/malformed-path" });
  }
  for (const path of ["/git/account/1/application/%zz/x.git/info/refs?service=git-upload-pack", "/git/%"]) {
    const answer = await request.get(path);
    expect(answer.status(), path).toBe(400);
    expect(answer.headers()["content-type"]).toContain("text/plain");
  }
  // Valid escapes still reach the routes as before.
  expect((await request.get("/invite/abc%20def")).status()).toBe(200);
  expect((await request.get("/api/v1/account/%31")).status()).toBe(401);
});
