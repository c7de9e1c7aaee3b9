import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { makeUser } from "@/lib/testing/people";
import { formData, signInForActions, signOutForActions } from "@/lib/testing/action-request";
import { accountAction, userAction, type Refusal } from "./index";
import { accountResource } from "./resources";

// A signed-out caller of a server action is sent to /login with the page it came from as callbackUrl, but only a
// path of ours that lib/auth/redirect.ts accepts: the request's headers are the simulated request's, plus the
// Referer and Host set per case.
const request = vi.hoisted(() => ({ extra: {} as Record<string, string> }));
vi.mock("next/headers", async () => {
  const base = (await import("@/lib/testing/action-request")).nextHeadersMock;
  return {
    ...base,
    headers: async () => {
      const h = await base.headers();
      for (const [k, v] of Object.entries(request.extra)) h.set(k, v);
      return h;
    },
  };
});
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

type State = { ok?: true; message?: string };
const fail = (r: Refusal): State => ({ message: r.message });
let runs = 0;
const saveAction = userAction({
  name: "test save",
  schema: z.object({}),
  fail,
  run: async () => {
    runs += 1;
    return { ok: true as const };
  },
});
const renameAction = accountAction({
  name: "test rename",
  schema: z.object({ accountId: z.string() }),
  resource: accountResource((input: { accountId: string }) => input.accountId),
  permission: "account.rename",
  what: "rename the account",
  fail,
  run: async () => {
    runs += 1;
    return { ok: true as const };
  },
});

/** Where the action redirected to (Next's redirect error carries `NEXT_REDIRECT;<type>;<url>;<status>;`). */
async function redirectTarget(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const digest = String((error as { digest?: string }).digest ?? "");
    expect(digest.startsWith("NEXT_REDIRECT;")).toBe(true);
    return digest.split(";")[2];
  }
  throw new Error("the action did not redirect");
}

describe("signed-out server actions: /login with the calling page as callbackUrl", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(() => {
    temp = makeTempDataDir();
  });
  afterAll(() => temp.cleanup());

  const cases: { name: string; headers: Record<string, string>; target: string }[] = [
    {
      name: "a console page on the same host",
      headers: { host: "console.example.test", referer: "http://console.example.test/settings/tokens?tab=new" },
      target: "/login?callbackUrl=%2Fsettings%2Ftokens%3Ftab%3Dnew",
    },
    {
      name: "the host named by X-Forwarded-Host (a proxy in front)",
      headers: {
        host: "127.0.0.1:3000",
        "x-forwarded-host": "console.example.test, internal",
        referer: "https://console.example.test/account/7/application/3?q=shop",
      },
      target: "/login?callbackUrl=%2Faccount%2F7%2Fapplication%2F3%3Fq%3Dshop",
    },
    { name: "no Referer", headers: { host: "console.example.test" }, target: "/login" },
    {
      name: "a Referer on another site",
      headers: { host: "console.example.test", referer: "https://evil.example/settings" },
      target: "/login",
    },
    {
      name: "a Referer whose host only starts like ours",
      headers: { host: "console.example.test", referer: "http://console.example.test.evil.example/settings" },
      target: "/login",
    },
    { name: "a malformed Referer", headers: { host: "console.example.test", referer: "http://[::1/x" }, target: "/login" },
    {
      name: "a non-http Referer",
      headers: { host: "console.example.test", referer: "javascript://console.example.test/%0aalert(1)" },
      target: "/login",
    },
    {
      name: "the login page itself (no loop)",
      headers: { host: "console.example.test", referer: "http://console.example.test/login?callbackUrl=%2Fx" },
      target: "/login",
    },
    {
      name: "a path with a protocol-relative trick",
      headers: { host: "console.example.test", referer: "http://console.example.test//evil.example/x" },
      target: "/login",
    },
  ];

  for (const c of cases) {
    it(`userAction, ${c.name}: ${c.target}`, async () => {
      signOutForActions();
      request.extra = c.headers;
      const before = runs;
      expect(await redirectTarget(saveAction({}, formData({})))).toBe(c.target);
      expect(runs).toBe(before);
    });
  }

  it("accountAction follows the same rule", async () => {
    signOutForActions();
    request.extra = { host: "console.example.test", referer: "http://console.example.test/account/1/members" };
    expect(await redirectTarget(renameAction({}, formData({ accountId: "1" })))).toBe("/login?callbackUrl=%2Faccount%2F1%2Fmembers");
  });

  it("a signed-in caller runs the action whatever the Referer", async () => {
    await signInForActions(await makeUser("caller@callback.test"));
    request.extra = { host: "console.example.test", referer: "https://evil.example/" };
    const before = runs;
    expect(await saveAction({}, formData({}))).toEqual({ ok: true });
    expect(runs).toBe(before + 1);
  });
});
