import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { dialect, execute, openDatabase, writeTransaction } from "@/db";
import { isListening, listenChannel, listenerBackendPid, stopListening } from "@/lib/cluster/notify";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { currentEdgeVersion, settleEdgeChanges, waitForEdgeVersion } from "./changes";
import { EDGE_VERSION_CHANNEL } from "./events";
import { createEdgeNode } from "./nodes";
import { bumpEdgeVersion } from "./versions";

// Long-polls woken by changes another instance makes (docs/edge.md "Versions", docs/architecture.md "Many
// instances"). This test process is instance A, holding the waits; a child process (lib/testing/edge-version-worker.ts)
// is instance B, draining a node through the product path on the same database. On PostgreSQL the wait must end
// through NOTIFY: its re-read interval is set to 30 s, longer than any of these waits take, so a wait that ends
// earlier was woken by the notification (the child is another process: this process's own emitter never fires).

/** The re-read interval of the waits below on PostgreSQL: only a notification can end them sooner. */
const FALLBACK_MS = 30_000;

type Instance = { drain: (nodeId: number, drain: boolean) => Promise<number>; end: () => Promise<void> };

/** Starts instance B on this process's database; resolves once it has opened the database. */
async function startInstance(dataDir: string): Promise<Instance> {
  const tsx = path.join(process.cwd(), "node_modules", ".bin", "tsx");
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...(process.env.AUTH_SECRET ? { AUTH_SECRET: process.env.AUTH_SECRET } : {}),
  } as NodeJS.ProcessEnv;
  const child: ChildProcessWithoutNullStreams = spawn(tsx, ["lib/testing/edge-version-worker.ts"], { env, stdio: "pipe" });
  let errors = "";
  child.stderr.on("data", (chunk) => (errors += chunk));
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const next = await lines.next();
    if (next.done) throw new Error(`instance B ended: ${errors}`);
    return next.value;
  };
  expect(await nextLine()).toBe("ready");
  return {
    drain: async (nodeId, drain) => {
      child.stdin.write(`drain ${nodeId} ${drain}\n`);
      return Number(await nextLine());
    },
    end: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.stdin.end();
      }),
  };
}

/** A wait for a version above the current one; `armed` resolves once its first read is done and it waits. */
async function startWait(pollIntervalMs?: number) {
  const since = await currentEdgeVersion();
  let armed!: () => void;
  const ready = new Promise<void>((resolve) => (armed = resolve));
  const woke = waitForEdgeVersion(since, 60_000, undefined, { pollIntervalMs, onWaiting: armed });
  await ready;
  return { since, woke, armedAt: Date.now() };
}

describe(`edge long-polls and changes made by another instance (${dialect()})`, () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let instanceB: Instance;
  let nodeId: number;
  let drained = false;
  const toggle = () => instanceB.drain(nodeId, (drained = !drained));

  beforeAll(async () => {
    temp = makeTempDataDir("ec-wake-");
    await openDatabase();
    nodeId = (await createEdgeNode("edge-1")).node.id;
    instanceB = await startInstance(temp.dir);
  }, 60_000);

  afterAll(async () => {
    await instanceB?.end();
    await stopListening();
    await settleEdgeChanges();
    temp.cleanup();
  });

  it.skipIf(dialect() !== "sqlite")(
    "SQLite: nothing is listened to; a waiting poll sees the other process's change at its next re-read",
    async () => {
      const wait = await startWait();
      const version = await toggle();
      expect(version).toBe(wait.since + 1);
      expect(await wait.woke).toBe(version);
      expect(isListening(EDGE_VERSION_CHANNEL)).toBe(false);
      expect(listenerBackendPid()).toBeNull();
    },
  );

  describe.skipIf(dialect() !== "postgres")("PostgreSQL: LISTEN/NOTIFY", () => {
    it("the first wait opens the LISTEN connection; a change committed by instance B wakes the waits through NOTIFY", async () => {
      expect(isListening(EDGE_VERSION_CHANNEL)).toBe(false);
      const opener = await startWait(FALLBACK_MS);
      await vi.waitFor(() => expect(isListening(EDGE_VERSION_CHANNEL)).toBe(true), { timeout: 10_000 });
      // The opener re-read once when the connection came up. A wait that starts now, with the connection up, never
      // re-reads before FALLBACK_MS: only the notification can end it sooner.
      const wait = await startWait(FALLBACK_MS);
      const version = await toggle();
      expect(version).toBe(wait.since + 1);
      expect(await wait.woke).toBe(version);
      expect(Date.now() - wait.armedAt).toBeLessThan(FALLBACK_MS);
      expect(await opener.woke).toBe(version);
    });

    it("a rolled-back change notifies nobody; a wait ends at its end with the same version", async () => {
      const since = await currentEdgeVersion();
      const notified: string[] = [];
      const unlisten = listenChannel(EDGE_VERSION_CHANNEL, { onNotification: (payload) => notified.push(payload) });
      await vi.waitFor(() => expect(isListening(EDGE_VERSION_CHANNEL)).toBe(true), { timeout: 10_000 });
      await expect(
        writeTransaction(async (tx) => {
          await bumpEdgeVersion(tx);
          throw new Error("rolled back");
        }),
      ).rejects.toThrow("rolled back");
      expect(await waitForEdgeVersion(since, 300, undefined, { pollIntervalMs: FALLBACK_MS })).toBe(since);
      // A committed change after it is heard, and it is the only one.
      const version = await toggle();
      await vi.waitFor(() => expect(notified).toEqual([String(version)]), { timeout: 10_000 });
      unlisten();
    });

    it("reconnects when the LISTEN session is ended (pg_terminate_backend); a change made while it was down wakes the waits on reconnect", async () => {
      await vi.waitFor(() => expect(isListening(EDGE_VERSION_CHANNEL)).toBe(true), { timeout: 10_000 });
      const before = listenerBackendPid();
      expect(before).not.toBeNull();
      const wait = await startWait(FALLBACK_MS);
      let settled = false;
      void wait.woke.then(() => (settled = true));

      // The session is ended and, for a while, the database cannot be reached by a new connection (the listener
      // connects to DATABASE_URL as it is at each try; the pool already open keeps its connections). Instance B's
      // change commits meanwhile: its notification reaches nobody here.
      const url = process.env.DATABASE_URL!;
      const unreachable = new URL(url);
      unreachable.port = "1";
      process.env.DATABASE_URL = unreachable.toString();
      let version: number;
      try {
        await execute(sql`select pg_terminate_backend(${before})`);
        await vi.waitFor(() => expect(listenerBackendPid()).toBeNull(), { timeout: 10_000 });
        version = await toggle();
        expect(settled).toBe(false);
      } finally {
        process.env.DATABASE_URL = url;
      }
      // The next try connects; the waits re-read then and find the change.
      expect(await wait.woke).toBe(version);
      expect(Date.now() - wait.armedAt).toBeLessThan(FALLBACK_MS);
      expect(listenerBackendPid()).not.toBe(before);
    });

    it("after a reconnect, a new wait is woken by NOTIFY again", async () => {
      await vi.waitFor(() => expect(isListening(EDGE_VERSION_CHANNEL)).toBe(true), { timeout: 10_000 });
      const before = listenerBackendPid();
      // The listener reconnects while some wait is in progress (with nobody waiting, the next wait connects).
      const holder = await startWait(FALLBACK_MS);
      await execute(sql`select pg_terminate_backend(${before})`);
      await vi.waitFor(
        () => {
          expect(isListening(EDGE_VERSION_CHANNEL)).toBe(true);
          expect(listenerBackendPid()).not.toBe(before);
        },
        { timeout: 10_000 },
      );
      // The holder re-read when the connection came back. The new wait never re-reads before FALLBACK_MS.
      const wait = await startWait(FALLBACK_MS);
      const version = await toggle();
      expect(await wait.woke).toBe(version);
      expect(Date.now() - wait.armedAt).toBeLessThan(FALLBACK_MS);
      expect(await holder.woke).toBe(version);
    });

    it("stopListening closes the connection; the next wait opens it again", async () => {
      await stopListening();
      expect(isListening(EDGE_VERSION_CHANNEL)).toBe(false);
      expect(listenerBackendPid()).toBeNull();
      const wait = await startWait(FALLBACK_MS);
      await vi.waitFor(() => expect(isListening(EDGE_VERSION_CHANNEL)).toBe(true), { timeout: 10_000 });
      const version = await toggle();
      expect(await wait.woke).toBe(version);
      expect(Date.now() - wait.armedAt).toBeLessThan(FALLBACK_MS);
    });
  });
});
