import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { createEnvironment } from "@/lib/environments/create";
import { commitFiles, environmentRow, git, makeApplication, tableState } from "@/lib/environments/fixtures";
import { resolveBranch } from "@/lib/git/refs";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { promoteEnvironmentAction } from "./compare/actions";
import { saveFileAction } from "./edit/actions";
import { revertCommitAction } from "./history/actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// The editor's actions — save, revert, promote — through the server-action wrapper (lib/actions), signed in as real
// users, on a real repository.

describe("editor actions: save, revert, promote", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let f: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeUser>>;
  let staging: Awaited<ReturnType<typeof environmentRow>>;
  const heads = async () => ({ Production: await resolveBranch(f.repo, "Production"), Staging: await resolveBranch(f.repo, "Staging") });
  const audits = async () => (await tableState()).audits;
  const show = (rev: string) => git(f.repo, "show", `${rev}:section.config.json`) + "\n";

  beforeAll(async () => {
    temp = makeTempDataDir("ec-editor-actions-");
    f = await makeApplication("editact");
    stranger = await makeUser("stranger@example.com");
    const created = await createEnvironment({
      application: f.app,
      actor: f.actor("developer"),
      name: "Staging",
      source: "Production",
      hostname: { hostname: "staging.editact.example", unicode: "staging.editact.example", isApex: false },
      ownershipRequired: false,
    });
    if (!created.ok) throw new Error(created.message);
    staging = await environmentRow(f.app, "Staging");
  });
  afterAll(() => temp.cleanup());

  /** The three forms as the pages post them, from the current heads. */
  async function forms() {
    const h = await heads();
    return {
      save: formData({
        environmentId: staging.id,
        path: "section.config.json",
        baseCommit: h.Staging!,
        content: show(h.Staging!).replace('"port": 443', '"port": 8443'),
        message: "port",
      }),
      revert: formData({ environmentId: staging.id, commit: h.Staging! }),
      promote: formData({ environmentId: staging.id, productionHead: h.Production!, environmentHead: h.Staging! }),
    };
  }

  it("answers a non-member with not-found and a viewer with the role sentence, writing nothing", async () => {
    const before = { heads: await heads(), audits: await audits() };
    await signInForActions(stranger);
    let form = await forms();
    expect(await saveFileAction({}, form.save)).toEqual({
      error: NOT_FOUND_MESSAGE,
      values: { content: form.save.get("content"), message: "port" },
    });
    expect(await revertCommitAction({}, form.revert)).toMatchObject({ tone: "error", message: NOT_FOUND_MESSAGE });
    expect(await promoteEnvironmentAction({}, form.promote)).toEqual({ error: NOT_FOUND_MESSAGE });

    await signInForActions(f.user("viewer"));
    form = await forms();
    expect(await saveFileAction({}, form.save)).toMatchObject({
      error: "Your role in this account (Viewer) cannot edit the configuration. Ask an owner or admin.",
      values: { message: "port" },
    });
    expect(await revertCommitAction({}, form.revert)).toMatchObject({
      tone: "error",
      message: "Your role in this account (Viewer) cannot revert changes. Ask an owner or admin.",
    });
    expect(await promoteEnvironmentAction({}, form.promote)).toEqual({
      error: "Your role in this account (Viewer) cannot promote environments. Ask an owner or admin.",
    });
    expect({ heads: await heads(), audits: await audits() }).toEqual(before);
  });

  it("saves, reverts and promotes for a developer; a conflict comes back per file with its kind", async () => {
    await signInForActions(f.user("developer"));
    let form = await forms();
    await expect(saveFileAction({}, form.save)).rejects.toThrow(/NEXT_REDIRECT/);
    const saved = (await heads()).Staging!;
    expect(show(saved)).toContain('"port": 8443');
    expect(await revertCommitAction({}, formData({ environmentId: staging.id, commit: saved }))).toMatchObject({
      tone: "success",
      message: expect.stringMatching(/^Reverted as a new commit [0-9a-f]{7}\.$/),
    });

    // Both sides change Production's port: a conflict on one key, shown with what each side did.
    form = await forms();
    await expect(saveFileAction({}, form.save)).rejects.toThrow(/NEXT_REDIRECT/);
    const production = (await heads()).Production!;
    await commitFiles(
      f.repo,
      production,
      { "section.config.json": show(production).replace('"port": 443', '"port": 9443') },
      { branch: "Production" },
    );
    form = await forms();
    expect(await promoteEnvironmentAction({}, form.promote)).toEqual({
      error: expect.stringContaining("cannot be merged automatically"),
      conflicts: [
        {
          path: "section.config.json",
          kind: "config-keys",
          keyPaths: ["environments.Production.origin.port"],
          message: "Production and Staging both changed environments.Production.origin.port in different ways",
        },
      ],
    });
    // A stale form (heads moved since the page was shown) is refused; a current one promotes.
    const current = (await heads()).Production!;
    await commitFiles(
      f.repo,
      current,
      { "section.config.json": show(current).replace('"port": 9443', '"port": 443') },
      { branch: "Production" },
    );
    expect(await promoteEnvironmentAction({}, form.promote)).toEqual({
      error: expect.stringContaining("changed since you reviewed the diff"),
    });
    await expect(promoteEnvironmentAction({}, (await forms()).promote)).rejects.toThrow(/NEXT_REDIRECT/);
    expect(git(f.repo, "log", "-1", "--format=%s", "Production")).toBe("Staging merged to Production");
  });
});
