import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { createEmailToken, redeemVerifyEmailToken } from "@/lib/auth/email-tokens";
import { listEdgeNodes } from "@/lib/edge/nodes";
import { listOperatorEvents } from "@/lib/ops/events";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { setTestEnv } from "@/lib/testing/env";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { addEdgeNodeAction, revokeEdgeNodeAction, setEdgeNodeDrainAction } from "./actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// The /ops/edge actions through the server-action wrapper, signed in as real users (lib/testing/action-request):
// only an operator (verified email in OPERATOR_EMAILS) may add, drain and revoke nodes, and each change is logged.

/** A user whose address was verified through the product's own link token (as the verify-email page does). */
async function makeVerifiedUser(email: string) {
  const user = await makeUser(email);
  const token = await createEmailToken({ userId: user.id, kind: "verify-email", email, expiresAt: new Date(Date.now() + 60_000) });
  const redeemed = await redeemVerifyEmailToken({ token });
  if (redeemed.status !== "valid") throw new Error(`could not verify ${email}`);
  return redeemed.user;
}

describe("/ops/edge actions", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let restoreEnv: () => void;
  let operator: Awaited<ReturnType<typeof makeUser>>;
  let unverified: Awaited<ReturnType<typeof makeUser>>;
  let someone: Awaited<ReturnType<typeof makeUser>>;

  beforeAll(async () => {
    restoreEnv = setTestEnv({ OPERATOR_EMAILS: "ops@example.com,unverified@example.com", APP_URL: "https://console.example" });
    temp = makeTempDataDir("ec-ops-edge-");
    operator = await makeVerifiedUser("ops@example.com");
    unverified = await makeUser("unverified@example.com");
    someone = await makeVerifiedUser("someone@example.com");
  });
  afterAll(() => {
    temp.cleanup();
    restoreEnv();
  });

  it("refuses a non-operator (and an unverified operator address) with not-found, changing nothing", async () => {
    for (const user of [someone, unverified]) {
      await signInForActions(user);
      expect(await addEdgeNodeAction({}, formData({ name: "edge-1" }))).toEqual({ error: NOT_FOUND_MESSAGE });
    }
    expect(await listEdgeNodes()).toEqual([]);

    await signInForActions(operator);
    const added = await addEdgeNodeAction({}, formData({ name: "edge-1" }));
    const id = (await listEdgeNodes())[0].id;
    expect(added.created?.name).toBe("edge-1");

    for (const user of [someone, unverified]) {
      await signInForActions(user);
      expect(await revokeEdgeNodeAction({}, formData({ nodeId: id, confirmation: "edge-1" }))).toEqual({ error: NOT_FOUND_MESSAGE });
      expect(await setEdgeNodeDrainAction({}, formData({ nodeId: id, drain: "true" }))).toEqual({ error: NOT_FOUND_MESSAGE });
    }
    expect(await listEdgeNodes()).toEqual([expect.objectContaining({ name: "edge-1", revokedAt: null, drain: false })]);
  });

  it("adds a node (token shown once with the agent's command), drains, and revokes after the name is typed; all logged", async () => {
    await signInForActions(operator);
    const added = await addEdgeNodeAction({}, formData({ name: "fra-2" }));
    expect(added.created).toMatchObject({ name: "fra-2", token: expect.stringMatching(/^en_[A-Za-z0-9_-]{43}$/) });
    expect(added.created?.command).toBe(`CONSOLE_URL=https://console.example EDGE_NODE_TOKEN=${added.created?.token} npm run edge`);
    // A duplicate name (ignoring case) and a bad name are field messages.
    expect((await addEdgeNodeAction({}, formData({ name: "FRA-2" }))).fieldErrors?.name).toBeTruthy();
    expect((await addEdgeNodeAction({}, formData({ name: "bad name!" }))).fieldErrors?.name).toBeTruthy();
    expect((await addEdgeNodeAction({}, formData({ name: "  " }))).fieldErrors?.name).toBe("Enter a name for the node, e.g. edge-1.");

    const node = (await listEdgeNodes()).find((n) => n.name === "fra-2")!;
    expect(await setEdgeNodeDrainAction({}, formData({ nodeId: node.id, drain: "true" }))).toEqual({ notice: "fra-2 is drained." });
    expect((await listEdgeNodes()).find((n) => n.id === node.id)?.drain).toBe(true);
    expect(await setEdgeNodeDrainAction({}, formData({ nodeId: node.id, drain: "false" }))).toEqual({
      notice: "fra-2 takes traffic again.",
    });

    // Revoke needs the name typed; a wrong one changes nothing.
    expect(await revokeEdgeNodeAction({}, formData({ nodeId: node.id, confirmation: "fra-3" }))).toEqual({
      fieldErrors: { confirmation: "Type fra-2 to confirm." },
      values: { confirmation: "fra-3" },
    });
    expect((await listEdgeNodes()).find((n) => n.id === node.id)?.revokedAt).toBeNull();
    expect(await revokeEdgeNodeAction({}, formData({ nodeId: node.id, confirmation: "fra-2" }))).toEqual({ notice: "fra-2 was revoked." });
    expect((await listEdgeNodes()).find((n) => n.id === node.id)?.revokedAt).toBeInstanceOf(Date);
    expect(await revokeEdgeNodeAction({}, formData({ nodeId: node.id, confirmation: "fra-2" }))).toEqual({
      error: "fra-2 is already revoked.",
    });
    // Unknown and malformed ids find nothing.
    expect(await revokeEdgeNodeAction({}, formData({ nodeId: "01", confirmation: "fra-2" }))).toEqual({ error: NOT_FOUND_MESSAGE });
    expect(await setEdgeNodeDrainAction({}, formData({ nodeId: "999999", drain: "true" }))).toEqual({ error: NOT_FOUND_MESSAGE });

    const log = (await listOperatorEvents()).map((e) => ({
      action: e.action,
      email: e.operatorEmail,
      node: (e.data as { node: { name: string } }).node.name,
    }));
    expect(log.filter((e) => e.node === "fra-2")).toEqual([
      { action: "edge.node.revoke", email: "ops@example.com", node: "fra-2" },
      { action: "edge.node.undrain", email: "ops@example.com", node: "fra-2" },
      { action: "edge.node.drain", email: "ops@example.com", node: "fra-2" },
      { action: "edge.node.add", email: "ops@example.com", node: "fra-2" },
    ]);
  });
});
