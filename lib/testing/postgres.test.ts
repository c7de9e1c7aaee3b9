import fs from "node:fs";
import net from "node:net";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, dropTestDatabase, postgresAvailable, startTestCluster, type TestCluster } from "./postgres";

// The throwaway PostgreSQL cluster the PostgreSQL run of the suite uses (lib/testing/postgres.ts). Skipped with the
// reason when PostgreSQL is not installed, except under CI=true, where it fails instead.
const why = postgresAvailable();
const skip = why !== null && process.env.CI !== "true";

async function query(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** The error code of a connection attempt to 127.0.0.1:<port>, or "connected". */
function connectCode(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

async function pgCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe.skipIf(skip)(`throwaway PostgreSQL cluster${skip ? ` (skipped: ${why})` : ""}`, () => {
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it("starts a cluster, creates two databases, answers in each, drops one, and stops leaving no folder and a closed port", async () => {
    cluster = await startTestCluster();
    expect(cluster.port).toBeGreaterThanOrEqual(59000);
    expect(cluster.port).toBeLessThanOrEqual(59999);
    expect(cluster.url).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/postgres`);
    expect(fs.existsSync(`${cluster.dir}/data/PG_VERSION`)).toBe(true);
    expect(Number(fs.readFileSync(`${cluster.dir}/data/PG_VERSION`, "utf8"))).toBeGreaterThanOrEqual(15);

    const a = await createTestDatabase(cluster.url);
    const b = await createTestDatabase(cluster.url, "second_db");
    expect(a).not.toBe(b);
    expect(b).toBe(`postgres://postgres@127.0.0.1:${cluster.port}/second_db`);
    expect(await pgCode(createTestDatabase(cluster.url, "second_db"))).toBe("42P04");
    await expect(createTestDatabase(cluster.url, "Bad-Name")).rejects.toThrow(TypeError);

    for (const url of [a, b]) {
      const [row] = await query(url, "select 1 as one, current_database() as db, current_setting('fsync') as fsync");
      expect(row).toEqual({ one: 1, db: new URL(url).pathname.slice(1), fsync: "off" });
    }
    const [settings] = await query(
      cluster.url,
      "select current_setting('max_connections') as max, current_setting('server_encoding') as enc, current_setting('listen_addresses') as listen",
    );
    expect(settings).toEqual({ max: "300", enc: "UTF8", listen: "127.0.0.1" });

    // A dropped database is gone even with a connection open on it; the other one still answers.
    const open = new pg.Client({ connectionString: a });
    open.on("error", () => {});
    await open.connect();
    await dropTestDatabase(a);
    await open.end().catch(() => {});
    expect(await pgCode(query(a, "select 1"))).toBe("3D000");
    await dropTestDatabase(a); // already gone: fine
    expect(await query(b, "select 1 as one")).toEqual([{ one: 1 }]);
    await expect(dropTestDatabase(cluster.url)).rejects.toThrow(TypeError);

    const { dir, port } = cluster;
    await cluster.stop();
    await cluster.stop(); // a second call does nothing
    expect(fs.existsSync(dir)).toBe(false);
    expect(await connectCode(port)).toBe("ECONNREFUSED");
  }, 60_000);

  it("gives concurrent clusters their own ports and folders", async () => {
    const [x, y] = await Promise.all([startTestCluster(), startTestCluster()]);
    try {
      expect(x.port).not.toBe(y.port);
      expect(x.dir).not.toBe(y.dir);
      expect(await query(x.url, "select 2 as two")).toEqual([{ two: 2 }]);
      expect(await query(y.url, "select 3 as three")).toEqual([{ three: 3 }]);
    } finally {
      await Promise.all([x.stop(), y.stop()]);
    }
  }, 60_000);
});

// The PostgreSQL run (TEST_DATABASE=postgres, lib/testing/postgres-global-setup.ts): the globalSetup's variables
// reach this test process, a fork started by vitest after the setup ran.
describe.runIf(process.env.TEST_DATABASE === "postgres" && !skip)("the PostgreSQL run's database", () => {
  it("is in DATABASE_URL, on the cluster TEST_POSTGRES_URL names", async () => {
    const admin = process.env.TEST_POSTGRES_URL;
    const url = process.env.DATABASE_URL;
    expect(admin).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:59\d{3}\/postgres$/);
    expect(url).toBe(`${admin!.replace(/\/postgres$/, "")}/edge_console_test`);
    expect(await query(url!, "select current_database() as db")).toEqual([{ db: "edge_console_test" }]);
  });
});
