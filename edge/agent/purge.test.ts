import { describe, expect, it } from "vitest";
import { PurgeApplier, purgeProblem, type DesiredPurge } from "./purge";

// The agent's side of purges (docs/edge.md "Purge"): what it refuses to hand to varnishd, and that an id is banned
// once even when the console sends it again before the node's report arrived.

const purge = (id: number, ban: string, environmentId = 7): DesiredPurge => ({ id, environmentId, key: `e${environmentId}`, ban });

describe("agent purges", () => {
  it("refuses a ban not limited to its environment, on request fields, or with a line break", () => {
    expect(purgeProblem(purge(1, 'obj.http.x-edge-env == "e7"'))).toBeNull();
    expect(purgeProblem(purge(1, 'obj.http.x-edge-env == "e7" && obj.http.x-edge-url ~ "^/a b && c" && obj.status == 404'))).toBeNull();
    expect(purgeProblem(purge(1, 'obj.http.x-edge-env == "e8"'))).toMatch(/not limited to its environment/);
    expect(purgeProblem({ ...purge(1, 'obj.http.x-edge-env == "e7"'), key: "e8" })).toMatch(/does not match/);
    expect(purgeProblem(purge(1, 'obj.http.x-edge-env == "e7" && req.url ~ "^/"'))).toMatch(/tests req.url, not an object field/);
    expect(purgeProblem(purge(1, 'obj.http.x-edge-env == "e7"\nban obj.status == 200'))).toMatch(/line break/);
  });

  it("bans each id once, reports varnishd's refusal, and holds trivially without varnishd", async () => {
    const banned: string[] = [];
    const lines: string[] = [];
    let varnish = true;
    const applier = new PurgeApplier(
      async (e) => {
        if (e.includes("boom")) throw new Error("Regex compile error: missing )\nmore");
        banned.push(e);
      },
      () => varnish,
      (l) => lines.push(l),
    );
    const first = await applier.apply([
      purge(1, 'obj.http.x-edge-env == "e7"'),
      purge(2, 'obj.http.x-edge-env == "e7" && obj.http.x ~ "boom"'),
    ]);
    expect(first[0]).toMatchObject({ id: 1, appliedAt: expect.any(String) });
    expect(first[1]).toEqual({ id: 2, error: "varnishd: Regex compile error: missing ) more" });
    const again = await applier.apply([purge(1, 'obj.http.x-edge-env == "e7"')]);
    expect(again).toEqual([first[0]]);
    expect(banned).toEqual(['obj.http.x-edge-env == "e7"']);
    varnish = false;
    expect(await applier.apply([purge(3, 'obj.http.x-edge-env == "e7"')])).toMatchObject([{ id: 3, appliedAt: expect.any(String) }]);
    expect(banned).toHaveLength(1);
    expect(lines.join("\n")).toMatch(/purge 2 of e7: varnishd/);
  });
});
