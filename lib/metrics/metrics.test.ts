import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTransaction, one } from "@/db";
import { accounts, applications, domains, environments } from "@/db/schema";
import { GET } from "@/app/metrics/route";
import { checkDomain } from "@/lib/dns/go-live";
import { createResolver } from "@/lib/dns/resolver";
import { createEdgeNode, revokeEdgeNode } from "@/lib/edge/nodes";
import { sendMail } from "@/lib/mail";
import { consumeRateLimit } from "@/lib/rate-limit";
import { startDnsServer, type TestDnsServer } from "@/lib/testing/dns-server";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { captureLog, runWithRequestId } from "@/lib/log";
import { bearerMatches } from "./http";
import { serveWorkerMetrics } from "./worker";

// GET /metrics through its real route handler and the worker's real HTTP server, against a temporary SQLite file,
// with a go-live check resolved by a DNS server on 127.0.0.1.

const TOKEN = "metrics-token-0123456789abcdef";
let restoreEnv: () => void;
let temp: { cleanup: () => void };
let dnsServer: TestDnsServer;

beforeAll(async () => {
  dnsServer = await startDnsServer();
  restoreEnv = setTestEnv({
    METRICS_TOKEN: TOKEN,
    DNS_SERVERS: dnsServer.address,
    EDGE_CNAME_SUFFIX: "edge.localhost",
    EDGE_IPV4: "192.0.2.10",
    DNS_TIMEOUT_MS: "300",
    DNS_TRIES: "1",
    SMTP_URL: "",
    RATE_LIMIT_LOGIN_PER_EMAIL: "1",
  });
  temp = makeTempDataDir("ec-metrics-");
});

afterAll(async () => {
  temp.cleanup();
  restoreEnv();
  await dnsServer.close();
});

const scrape = (authorization?: string, method = "GET") =>
  GET(new Request("http://127.0.0.1/metrics", { method, headers: authorization ? { authorization } : {} }));

/** The value of one sample in a Prometheus text body (`name{labels} value`), 0 when absent. */
function sample(body: string, series: string): number {
  const line = body.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function scrapeText(): Promise<string> {
  const res = await scrape(`Bearer ${TOKEN}`);
  expect(res.status).toBe(200);
  return res.text();
}

describe("GET /metrics", () => {
  it("is 404 while METRICS_TOKEN is unset or empty", async () => {
    for (const value of [undefined, "", "   "]) {
      const saved = process.env.METRICS_TOKEN;
      if (value === undefined) delete process.env.METRICS_TOKEN;
      else process.env.METRICS_TOKEN = value;
      try {
        const res = await scrape(`Bearer ${TOKEN}`);
        expect(res.status).toBe(404);
        expect(await res.text()).not.toContain("edge_console");
      } finally {
        process.env.METRICS_TOKEN = saved;
      }
    }
  });

  it("is 401 with a Bearer challenge for a missing, wrong or differently sent token", async () => {
    const logged = captureLog();
    for (const auth of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, "Bearer "]) {
      const res = await runWithRequestId("scrape-1", () => scrape(auth));
      expect(res.status, String(auth)).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
      expect(await res.text()).not.toContain("edge_console");
    }
    logged.stop();
    // One warning a minute, with the request's id, never the token presented.
    expect(logged.lines().filter((l) => String(l.msg).startsWith("metrics: refused"))).toEqual([
      expect.objectContaining({ level: "warn", requestId: "scrape-1" }),
    ]);
    expect(logged.text()).not.toContain(TOKEN.slice(0, -1));
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
  });

  it("answers the Prometheus text format with the console's metrics and the process metrics", async () => {
    const res = await scrape(`Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.text();
    for (const name of [
      "edge_console_go_live_checks_total",
      "edge_console_dns_sweep_duration_seconds",
      "edge_console_dns_due_domains",
      "edge_console_domains",
      "edge_console_mails_total",
      "edge_console_rate_limit_refusals_total",
      "edge_console_edge_nodes",
      "edge_console_certificate_orders_total",
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
    ])
      expect(body).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, "m"));
    const head = await scrape(`Bearer ${TOKEN}`, "HEAD");
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("counts a real go-live check by its result, and the due backlog and domains by status follow the database", async () => {
    const domainId = await writeTransaction(async (tx) => {
      const accountId = (await one(tx.insert(accounts).values({ name: "Metrics" }).returning())).id;
      const applicationId = (
        await one(
          tx
            .insert(applications)
            .values({ accountId, name: "www.metrics.test", repoName: "www-metrics-test", repoDir: "app-m", stackId: "varnish" })
            .returning(),
        )
      ).id;
      const environmentId = (await one(tx.insert(environments).values({ accountId, applicationId, name: "Production" }).returning())).id;
      const hostname = "www.metrics.test";
      return (
        await one(
          tx
            .insert(domains)
            .values({
              accountId,
              applicationId,
              environmentId,
              hostname,
              hostnameUnicode: hostname,
              isApex: false,
              verificationToken: "t-m",
              ownershipRequired: false,
            })
            .returning(),
        )
      ).id;
    });
    const before = await scrapeText();
    expect(sample(before, "edge_console_dns_due_domains")).toBe(1); // never checked: due now
    expect(sample(before, 'edge_console_domains{status="pending"}')).toBe(1);

    dnsServer.set("www.metrics.test", [{ type: "CNAME", value: "www.metrics.test.edge.localhost" }]);
    const result = await checkDomain(domainId, { resolver: createResolver([dnsServer.address]) });
    expect(result).toMatchObject({ status: "live" });

    const after = await scrapeText();
    expect(sample(after, 'edge_console_go_live_checks_total{result="live"}')).toBe(
      sample(before, 'edge_console_go_live_checks_total{result="live"}') + 1,
    );
    expect(sample(after, "edge_console_dns_due_domains")).toBe(0); // next check in 12–24 h
    expect(sample(after, 'edge_console_domains{status="live"}')).toBe(1);
  });

  it("counts mails, rate-limit refusals and edge nodes by state", async () => {
    const before = await scrapeText();
    await sendMail({ to: "someone@example.test", subject: "Hello", text: "t", html: "<p>t</p>" });
    expect((await consumeRateLimit("login", { email: "limited@example.test" })).ok).toBe(true);
    expect((await consumeRateLimit("login", { email: "limited@example.test" })).ok).toBe(false);
    await createEdgeNode("metrics-a");
    const revoked = await createEdgeNode("metrics-b");
    await revokeEdgeNode(revoked.node.id);
    const after = await scrapeText();
    expect(sample(after, 'edge_console_mails_total{result="logged"}')).toBe(
      sample(before, 'edge_console_mails_total{result="logged"}') + 1,
    );
    expect(sample(after, 'edge_console_rate_limit_refusals_total{limiter="login"}')).toBe(
      sample(before, 'edge_console_rate_limit_refusals_total{limiter="login"}') + 1,
    );
    expect(sample(after, 'edge_console_edge_nodes{state="active"}')).toBe(1);
    expect(sample(after, 'edge_console_edge_nodes{state="revoked"}')).toBe(1);
    expect(sample(after, 'edge_console_edge_nodes{state="stale"}')).toBe(0);
  });
});

describe("the worker's metrics server", () => {
  it("serves the same /metrics on WORKER_METRICS_PORT: 401 without the token, 200 with it, 404 elsewhere", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const server = await serveWorkerMetrics({ WORKER_METRICS_PORT: String(port) });
    expect(server).not.toBeNull();
    try {
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain("edge_console_go_live_checks_total");
      expect((await fetch(`${base}/other`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    } finally {
      server!.close();
    }
    expect(await serveWorkerMetrics({})).toBeNull();
    await expect(serveWorkerMetrics({ WORKER_METRICS_PORT: "70000" })).rejects.toThrow(/WORKER_METRICS_PORT/);
  });
});
