import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveTool } from "../modules";
import {
  STARTER_VCL,
  edgeAgent,
  fakeConsole,
  get,
  listen,
  origin,
  randomPorts,
  testEnvironment,
  until as untilWith,
  type EdgeAgent,
} from "./test-harness";

// Each VCL is compiled once on a node (docs/edge.md "Applying, on the node" step 3; edge/README.md "Behaviour worth
// knowing"): vcl.load is the check, with varnishd's own message for a broken VCL; the C varnishd kept for the
// inspection is removed, and so are the work folders of VCLs that were discarded or refused. Real haproxy and
// varnishd, the harness's console.

const missing = ["haproxy", "varnishd", "varnishadm", "openssl"].filter((t) => !haveTool(t));
const skip = missing.length > 0 && process.env.CI !== "true";

/** The `vcl_<name>.<time>` folders in varnishd's work folder, and any kept C sources (vgc.c) under it. */
function varnishWork(stateDir: string): { folders: string[]; sources: string[] } {
  const work = path.join(stateDir, "varnish");
  const folders = fs.readdirSync(work).filter((d) => /^vcl_.+\.\d+\.\d+$/.test(d));
  const sources = folders.filter((d) => fs.existsSync(path.join(work, d, "vgc.c")));
  return { folders: folders.map((d) => d.replace(/\.\d+\.\d+$/, "").slice(4)).sort(), sources };
}

describe.skipIf(skip)(`one compile per VCL on the node${skip ? ` (skipped: ${missing.join(", ")} missing)` : ""}`, () => {
  const site = origin("site");
  const con = fakeConsole();
  let node: EdgeAgent;
  let stateDir = "";
  let sitePort = 0;
  const { httpPort, portBase } = randomPorts("varnishWork");
  const settings = { allowCodeModules: false, allowPrivateOrigins: true, edgeAddresses: [] };
  const env = (version: number, vcl: string) =>
    testEnvironment(1, "vcl.test", sitePort, { version, chain: ["varnish"], files: { "varnish/default.vcl": vcl } });
  const until = <T>(what: string, fn: () => Promise<T | null | false | undefined>, timeoutMs = 30_000) =>
    untilWith(what, fn, timeoutMs, () => node.log());

  beforeAll(async () => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-vcl-"));
    fs.chmodSync(stateDir, 0o711);
    sitePort = await listen(site.server);
    await listen(con.server);
    node = edgeAgent({ stateDir, consoleUrl: con.url(), httpPort, portBase });
    con.set(1, [env(1, STARTER_VCL)], settings);
    node.start();
  }, 60_000);

  afterAll(async () => {
    await node.stop("SIGTERM");
    const left = node.leftovers();
    await Promise.all([site.server, con.server].map((s) => new Promise((r) => s.close(r))));
    fs.rmSync(stateDir, { recursive: true, force: true });
    expect(left, "processes left after the agent stopped").toEqual([]);
  }, 60_000);

  it("refuses a broken VCL with varnishd's message, applies the next good one, and leaves no kept C or old folders", async () => {
    await until("v1 applied", async () => con.lastReportFor(1)?.status === "applied");
    expect((await get(httpPort, "vcl.test")).body).toBe("hello from site");

    // Line 20 of the starter VCL gets a statement varnishd cannot parse.
    const lines = STARTER_VCL.split("\n");
    lines.splice(19, 0, "sub vcl_recv { set req.http.x = ; }");
    con.set(2, [env(2, lines.join("\n"))], settings);
    const refused = await until("v2 refused", async () => {
      const r = con.lastReportFor(1);
      return r?.version === 2 ? r : null;
    });
    expect(refused).toMatchObject({ status: "failed", tool: "varnishd", servingCommit: expect.any(String) });
    expect(refused.message).toMatch(/^varnish\/default\.vcl: varnishd refused it: .+ \(line 20, column \d+\)$/);
    expect((await get(httpPort, "vcl.test")).status, "the previous version keeps serving").toBe(200);

    con.set(3, [env(3, STARTER_VCL.replace("unset resp.http.Via;", 'unset resp.http.Via;\n    set resp.http.X-Version = "3";'))], settings);
    await until("v3 served", async () => (await get(httpPort, "vcl.test")).headers["x-version"] === "3");
    await until("v3 reported", async () => con.lastReportFor(1)?.version === 3);
    const work = varnishWork(stateDir);
    expect(work.sources, "no C source kept after its inspection").toEqual([]);
    // Only the VCLs varnishd still has: the router and version 3 (v1 retired, v2 refused, boot discarded).
    expect(work.folders).toHaveLength(2);
    expect(work.folders[0]).toMatch(/^e1_v3_/);
    expect(work.folders[1]).toMatch(/^router_\d+$/);
  }, 90_000);
});
