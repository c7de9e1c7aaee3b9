import os from "node:os";
import path from "node:path";
import { consoleEnv, E2E } from "./env";

/**
 * Ports and folders of the "edge" Playwright project (e2e/serve-edge.ts, e2e/edge.spec.ts): a second console with
 * its own data folder and loopback DNS server, and a real edge node (`npm run edge`) bound to 127.0.0.2 on
 * unprivileged ports (docs/product.md §8 "Agent settings"). Each can be moved with an `E2E_EDGE_*` variable.
 */
export const EDGE_E2E = {
  consolePort: Number(process.env.E2E_EDGE_CONSOLE_PORT || 3120),
  get consoleUrl() {
    return `http://localhost:${this.consolePort}`;
  },
  dnsPort: Number(process.env.E2E_EDGE_DNS_PORT || 15553),
  dnsControlPort: Number(process.env.E2E_EDGE_DNS_CONTROL_PORT || 15580),
  /** Where e2e/serve-edge.ts answers `GET /ready` (Playwright's readiness URL) and `GET /status` (JSON). */
  controlPort: Number(process.env.E2E_EDGE_CONTROL_PORT || 15590),
  get controlUrl() {
    return `http://127.0.0.1:${this.controlPort}`;
  },
  dataDir: process.env.E2E_EDGE_DATA_DIR || path.join(os.tmpdir(), "edge-console-e2e-edge"),
  /** EDGE_STATE_DIR of the node: outside the console's data folder, as on a real node. */
  stateDir: process.env.E2E_EDGE_STATE_DIR || path.join(os.tmpdir(), "edge-console-e2e-edge-node"),
  /** EDGE_BIND_ADDRESS of the node, also the console's EDGE_IPV4. */
  bindAddress: "127.0.0.2",
  httpPort: Number(process.env.E2E_EDGE_HTTP_PORT || 19080),
  httpsPort: Number(process.env.E2E_EDGE_HTTPS_PORT || 19443),
  /** EDGE_INTERNAL_PORT_BASE of the node: away from the agent's own tests' ports. */
  internalPortBase: Number(process.env.E2E_EDGE_INTERNAL_PORT_BASE || 26000),
  nodeName: "e2e-node",
  /** ACME_EMAIL of the edge console (pebble accepts any contact). */
  acmeEmail: "acme@e2e-edge.test",
};

/** The tools an edge node needs to serve a varnish chain (docs/product.md §8). */
export const EDGE_TOOLS = ["haproxy", "varnishd", "varnishadm", "ss"] as const;

/**
 * Points this process's e2e settings (e2e/env.ts `E2E`, read by e2e/db.ts and e2e/people.ts) at the edge project's
 * console: its port, data folder, DNS server and EDGE_IPV4, with ALLOW_PRIVATE_ORIGINS=true. Called at the top of
 * e2e/edge.spec.ts (Playwright runs each project in its own worker processes) and by e2e/serve-edge.ts.
 */
export function targetEdgeConsole(): void {
  Object.assign(E2E, {
    port: EDGE_E2E.consolePort,
    dataDir: EDGE_E2E.dataDir,
    dnsPort: EDGE_E2E.dnsPort,
    dnsControlPort: EDGE_E2E.dnsControlPort,
    edgeIpv4: EDGE_E2E.bindAddress,
  });
  process.env.ALLOW_PRIVATE_ORIGINS = "true";
}

/**
 * The edge console's settings (docs/product.md §6): e2e/env.ts's `consoleEnv()` after `targetEdgeConsole()`, with
 * private origins allowed (the origin is on 127.0.0.1) and no SMTP server (mails go to the server log).
 */
export function edgeConsoleEnv(): Record<string, string> {
  targetEdgeConsole();
  const env: Record<string, string> = { ...consoleEnv(), ALLOW_PRIVATE_ORIGINS: "true" };
  delete env.SMTP_URL;
  return env;
}
