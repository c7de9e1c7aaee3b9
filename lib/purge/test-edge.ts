import { settleEdgeChanges } from "@/lib/edge/changes";
import { commitFiles, git, type makeApplication } from "@/lib/environments/fixtures";
import { recordPush } from "@/lib/git-http/receive";

// Test and benchmark set-up for purges with real nodes (lib/purge/purge-e2e.test.ts, bench/purge.ts): the console's
// edge routes on a loopback HTTP server (lib/testing/edge-console.ts), and an application's Production pointed at a
// loopback origin by a push.

export { edgeConsoleServer, listenLoopback } from "@/lib/testing/edge-console";

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
