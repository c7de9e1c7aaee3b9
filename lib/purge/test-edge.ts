import http from "node:http";
import type { AddressInfo } from "node:net";
import { handleEdgeReport, handleEdgeState } from "@/lib/edge/api";
import { settleEdgeChanges } from "@/lib/edge/changes";
import { commitFiles, git, type makeApplication } from "@/lib/environments/fixtures";
import { recordPush } from "@/lib/git-http/receive";

// Test and benchmark set-up for purges with real nodes (lib/purge/purge-e2e.test.ts, bench/purge.ts): the console's
// two edge routes on a loopback HTTP server, and an application's Production pointed at a loopback origin by a push.

/** The console's edge routes (state, report) on a loopback HTTP server calling the real handlers; not listening yet. */
export function edgeConsoleServer(): http.Server {
  return http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const abort = new AbortController();
      res.on("close", () => !res.writableEnded && abort.abort());
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const request = new Request(url, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
        signal: abort.signal,
      });
      const response = url.pathname === "/api/edge/v1/state" ? await handleEdgeState(request) : await handleEdgeReport(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch(() => res.writeHead(500).end());
  });
}

/** Starts `server` on 127.0.0.1 (a free port); resolves to its `http://127.0.0.1:<port>` URL. */
export async function listenLoopback(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Points the Production environment of `fixture` at the plain-HTTP origin on 127.0.0.1:`port` (a push, as a customer would). */
export async function pointProductionAt(fixture: Awaited<ReturnType<typeof makeApplication>>, port: number): Promise<void> {
  const head = git(fixture.repo, "rev-parse", "Production");
  const config = JSON.parse(git(fixture.repo, "show", "Production:section.config.json")) as {
    environments: Record<string, { origin: object }>;
  };
  config.environments.Production.origin = { address: "127.0.0.1", protocol: "http", port };
  const pushed = await commitFiles(
    fixture.repo,
    head,
    { "section.config.json": `${JSON.stringify(config, null, 2)}\n` },
    { branch: "Production" },
  );
  await recordPush({
    application: fixture.app,
    actor: fixture.actor("owner"),
    tokenPrefix: "ec_test",
    updates: [{ ref: "refs/heads/Production", oldOid: head, newOid: pushed }],
    appUrl: "http://localhost",
  });
  await settleEdgeChanges();
}
