import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { reconcileEdgeState } from "@/lib/edge/versions";
import { recentPurges } from "@/lib/purge/store";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { banAction, purgeAction } from "./purge-actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// The environment page's purge actions, signed in as real users (docs/product.md §10 "Purge"): developers purge
// everything, a prefix or a URL; only owners and admins send a ban expression; viewers get the role sentence and
// another account's member the not-found message; bad input is a field message and stores nothing.

describe("purge actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let shop: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeApplication>>;
  let environmentId: number;
  const count = async () => (await recentPurges(environmentId, 100)).length;

  beforeAll(async () => {
    temp = makeTempDataDir("ec-purge-actions-");
    shop = await makeApplication("actpurge");
    stranger = await makeApplication("actpurgestranger", ["owner"]);
    await reconcileEdgeState();
    environmentId = (await environmentRow(shop.app, "Production")).id;
  });
  afterAll(() => temp.cleanup());

  it("viewers and strangers are refused; a developer's bad prefix is a field message; nothing is stored", async () => {
    await signInForActions(shop.user("viewer"));
    expect(await purgeAction({}, formData({ environmentId, kind: "all" }))).toMatchObject({
      message: expect.stringContaining("(Viewer) cannot purge the cache"),
    });
    await signInForActions(stranger.user("owner"));
    expect(await purgeAction({}, formData({ environmentId, kind: "all" }))).toMatchObject({ message: NOT_FOUND_MESSAGE });
    await signInForActions(shop.user("developer"));
    expect(await purgeAction({}, formData({ environmentId, kind: "prefix", value: "images/" }))).toMatchObject({
      fieldError: expect.stringContaining("must start with /"),
      value: "images/",
    });
    expect(await banAction({}, formData({ environmentId, expression: "obj.status == 404" }))).toMatchObject({
      message: expect.stringContaining("(Developer) cannot purge with a ban expression"),
    });
    await signInForActions(shop.user("admin"));
    expect(await banAction({}, formData({ environmentId, expression: 'req.url ~ "^/(a"' }))).toMatchObject({
      fieldError: expect.stringContaining("not a valid regular expression"),
    });
    expect(await count()).toBe(0);
  });

  it("a developer's prefix and URL, an admin's expression: stored, listed newest first with who sent them", async () => {
    await signInForActions(shop.user("developer"));
    expect(await purgeAction({}, formData({ environmentId, kind: "prefix", value: "/img/" }))).toMatchObject({
      ok: true,
      message: expect.stringContaining("no edge node is active"),
    });
    expect(await purgeAction({}, formData({ environmentId, kind: "url", value: "https://www.actpurge.example/a?b=1" }))).toMatchObject({
      ok: true,
    });
    await signInForActions(shop.user("admin"));
    expect(await banAction({}, formData({ environmentId, expression: 'obj.http.content-type ~ "^image/"' }))).toMatchObject({ ok: true });
    const list = await recentPurges(environmentId);
    expect(list.map((p) => [p.kind, p.input, p.createdBy])).toEqual([
      ["expression", 'obj.http.content-type ~ "^image/"', "Admin"],
      ["url", "https://www.actpurge.example/a?b=1", "Developer"],
      ["prefix", "/img/", "Developer"],
    ]);
    expect(list[0]).toMatchObject({ nodes: [], complete: true });
  });
});
