import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createEmailToken, redeemVerifyEmailToken } from "@/lib/auth/email-tokens";
import { createEdgeNode } from "@/lib/edge/nodes";
import { recordEdgeReport } from "@/lib/edge/report";
import { environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { purgeEverything, purgePrefix } from "@/lib/purge/expression";
import { createPurge } from "@/lib/purge/store";
import { signInForActions, signOutForActions } from "@/lib/testing/action-request";
import { setTestEnv } from "@/lib/testing/env";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import OpsPurgesPage from "./page";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);
// The page's auto-refresh switch (a client component) asks for the App Router, which a static render has not mounted.
vi.mock("next/navigation", async (original) => ({ ...(await original<object>()), useRouter: () => ({ refresh: () => undefined }) }));
vi.mock("@/lib/auth/auth", () => ({ auth: async () => null, reissueSession: async () => undefined, signOut: async () => undefined }));

// /ops/purges (docs/edge.md "Purge") rendered to HTML with real rows on a temporary SQLite file: an operator sees
// the purges of two accounts, newest first, with account, application, environment, kind, who, and per node applied,
// failed or pending; anyone else (a member of those accounts included, or an operator address not verified) gets 404.

/** A user whose address was verified through the product's own link token (as the verify-email page does). */
async function makeVerifiedUser(email: string) {
  const user = await makeUser(email);
  const token = await createEmailToken({ userId: user.id, kind: "verify-email", email, expiresAt: new Date(Date.now() + 60_000) });
  const redeemed = await redeemVerifyEmailToken({ token });
  if (redeemed.status !== "valid") throw new Error(`could not verify ${email}`);
  return redeemed.user;
}

describe("/ops/purges", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let restoreEnv: () => void;
  let shop: Awaited<ReturnType<typeof makeApplication>>;
  let blog: Awaited<ReturnType<typeof makeApplication>>;
  const render = async () => renderToStaticMarkup(await OpsPurgesPage());

  beforeAll(async () => {
    restoreEnv = setTestEnv({ OPERATOR_EMAILS: "ops@example.com,unverified@example.com" });
    temp = makeTempDataDir("ec-ops-purges-");
    shop = await makeApplication("opsshop");
    blog = await makeApplication("opsblog", ["owner"]);
  });
  afterAll(() => {
    signOutForActions();
    temp.cleanup();
    restoreEnv();
  });

  it("says so when there are none", async () => {
    await signInForActions(await makeVerifiedUser("ops@example.com"));
    expect(await render()).toContain("No purges yet.");
  });

  it("shows an operator every account's purges with each node's state", async () => {
    const shopEnv = await environmentRow(shop.app, "Production");
    const blogEnv = await environmentRow(blog.app, "Production");
    const prefix = purgePrefix(`e${shopEnv.id}`, "/img/");
    if (!prefix.ok) throw new Error(prefix.message);
    const t = Date.now() - 10_000;
    const first = await createPurge({
      environment: { id: shopEnv.id, accountId: shop.app.accountId, applicationId: shop.app.id, name: "Production" },
      actor: shop.actor("developer"),
      purge: prefix.purge,
      now: new Date(t),
    });
    const second = await createPurge({
      environment: { id: blogEnv.id, accountId: blog.app.accountId, applicationId: blog.app.id, name: "Production" },
      actor: blog.actor("owner"),
      purge: purgeEverything(`e${blogEnv.id}`),
      now: new Date(t + 1000),
    });
    if (!first.ok || !second.ok) throw new Error("purge refused");
    // Two active nodes: one applied the first purge, the other's ban was refused; neither reported the second yet.
    const { node: a } = await createEdgeNode("edge-a");
    const { node: b } = await createEdgeNode("edge-b");
    await recordEdgeReport(
      a.id,
      { version: 0, environments: [], purges: [{ id: first.id, appliedAt: new Date(t + 500).toISOString() }] },
      null,
    );
    await recordEdgeReport(b.id, { version: 0, environments: [], purges: [{ id: first.id, error: "varnishd: 106 bad ban" }] }, null);

    const html = await render();
    expect(html).toContain("The last 2 purges of every account, 2 not yet applied on every active node.");
    const rows = html.split("<tr ").slice(1); // the body rows (the header row is a bare <tr>)
    expect(rows).toHaveLength(2);
    // Newest first: the blog's "everything", pending on both nodes.
    expect(rows[0]).toContain(`data-purge-id="${second.id}"`);
    expect(rows[0]).toContain("Acme opsblog");
    expect(rows[0]).toContain("www.opsblog.example");
    expect(rows[0]).toContain("Everything");
    expect(rows[0]).toContain("Owner");
    expect(rows[0].match(/data-state="pending"/g)).toHaveLength(2);
    // The shop's prefix purge: applied on edge-a after 0.5 s, failed on edge-b with varnishd's message.
    expect(rows[1]).toContain("Acme opsshop");
    expect(rows[1]).toContain("www.opsshop.example");
    expect(rows[1]).toContain("Production");
    expect(rows[1]).toContain("Prefix<code");
    expect(rows[1]).toContain("/img/");
    expect(rows[1]).toContain("Developer");
    expect(rows[1]).toMatch(/data-state="applied"[^>]*>edge-a: applied [^<]+ UTC \(0\.5 s\)</);
    expect(rows[1]).toMatch(/data-state="failed"[^>]*>edge-b: failed: varnishd: 106 bad ban</);
  });

  it("is not found for anyone but a verified operator, members of those accounts included", async () => {
    for (const user of [
      shop.user("owner"),
      blog.user("owner"),
      await makeUser("unverified@example.com"),
      await makeVerifiedUser("someone@example.com"),
    ]) {
      await signInForActions(user);
      await expect(render(), user.email).rejects.toThrow(/NEXT_HTTP_ERROR_FALLBACK;404|NEXT_NOT_FOUND/);
    }
    signOutForActions();
    await expect(render()).rejects.toThrow(/NEXT_HTTP_ERROR_FALLBACK;404|NEXT_NOT_FOUND/);
  });
});
