import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { eq } from "drizzle-orm";
import { writeTransaction } from "@/db";
import { accounts, users } from "@/db/schema";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { captureLog } from "@/lib/log";
import { makeAccount, makeUser } from "@/lib/testing/people";
import { formData, signInForActions, signOutForActions } from "@/lib/testing/action-request";
import { accountAction, NOT_FOUND_MESSAGE, UNEXPECTED_MESSAGE, UNREADABLE_FORM_MESSAGE, userAction, type Refusal } from "./index";
import { accountResource } from "./resources";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

type State = { ok?: true; message?: string; kind?: Refusal["kind"]; ran?: number };
const fail = (r: Refusal): State => ({ message: r.message, kind: r.kind });

// A rename in the shape every account action has; `run` records that it ran.
let runs = 0;
const theAccount = accountResource((input: { accountId: string }) => input.accountId);
const renameAction = accountAction({
  name: "test rename",
  schema: z.object({ accountId: z.string(), name: z.string().min(1).max(80) }),
  resource: theAccount,
  permission: "account.rename",
  what: "rename the account",
  fail,
  run: async ({ input, resource }) => {
    runs += 1;
    await writeTransaction((tx) => tx.update(accounts).set({ name: input.name }).where(eq(accounts.id, resource.accountId)));
    return { ok: true as const, ran: runs };
  },
});

const brokenAction = userAction({
  name: "test broken",
  schema: z.object({}),
  fail,
  run: async () => {
    throw new Error("disk on fire");
  },
});

describe("server-action wrapper", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let account: number;
  let owner: Awaited<ReturnType<typeof makeUser>>;
  let viewer: Awaited<ReturnType<typeof makeUser>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  beforeAll(async () => {
    temp = makeTempDataDir();
    owner = await makeUser("owner@actions.test");
    viewer = await makeUser("viewer@actions.test");
    stranger = await makeUser("stranger@actions.test");
    account = (
      await makeAccount("Acme", [
        { userId: owner.id, role: "owner" },
        { userId: viewer.id, role: "viewer" },
      ])
    ).account.id;
  });
  afterAll(() => temp.cleanup());

  it("runs for a member whose role has the permission", async () => {
    await signInForActions(owner);
    expect(await renameAction({}, formData({ accountId: account, name: "Acme Inc" }))).toEqual({ ok: true, ran: 1 });
  });

  it("answers a non-member and a missing or malformed id with the same not-found message, and runs nothing", async () => {
    await signInForActions(stranger);
    for (const id of [String(account), "999999", "1e0", "01", "-1"]) {
      expect(await renameAction({}, formData({ accountId: id, name: "Hijacked" }))).toEqual({
        message: NOT_FOUND_MESSAGE,
        kind: "not_found",
      });
    }
    expect(runs).toBe(1);
  });

  it("gives a lower role the role sentence", async () => {
    await signInForActions(viewer);
    const state = await renameAction({}, formData({ accountId: account, name: "Viewer was here" }));
    expect(state).toEqual({
      kind: "forbidden",
      message: "Your role in this account (Viewer) cannot rename the account. Ask an owner or admin.",
    });
  });

  it("refuses a member the account blocks for lacking two-factor authentication", async () => {
    await writeTransaction((tx) => tx.update(accounts).set({ requireTwoFactor: true }).where(eq(accounts.id, account)));
    await writeTransaction((tx) => tx.update(users).set({ totpEnabledAt: new Date() }).where(eq(users.id, owner.id)));
    await signInForActions(viewer);
    expect((await renameAction({}, formData({ accountId: account, name: "x" }))).kind).toBe("two_factor");
    await signInForActions(owner);
    expect((await renameAction({}, formData({ accountId: account, name: "Acme 2FA" }))).ok).toBe(true);
  });

  it("answers a form that does not parse before loading anything", async () => {
    await signInForActions(owner);
    expect(await renameAction({}, formData({ accountId: account, name: "" }))).toEqual({
      message: UNREADABLE_FORM_MESSAGE,
      kind: "invalid",
    });
  });

  it("turns an unexpected error into the generic message", async () => {
    await signInForActions(owner);
    const logged = captureLog();
    expect(await brokenAction({}, formData({}))).toEqual({ message: UNEXPECTED_MESSAGE, kind: "unexpected" });
    logged.stop();
    expect(logged.lines()).toContainEqual(
      expect.objectContaining({ level: "error", userId: owner.id, msg: expect.stringMatching(/failed unexpectedly/) }),
    );
  });

  it("sends a signed-out caller to /login without running anything", async () => {
    signOutForActions();
    await expect(renameAction({}, formData({ accountId: account, name: "anon" }))).rejects.toThrow(/NEXT_REDIRECT/);
  });
});
