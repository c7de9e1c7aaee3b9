import net from "node:net";

// The agent's hold on HAProxy's workers (docs/traffic.md "Counters"). After a reload the old worker finishes its
// requests and exits, taking its counters with it. The agent keeps one request open on every worker: on the
// `edge_hold` listener (edge/haproxy/render.ts) it first asks `GET /pid` (which worker answers on this connection),
// then sends `POST /hold` with `Content-Length: 1` and no body, which HAProxy's `wait-for-body` holds. A retired
// worker does not exit while that request is open, so the agent reads its counters once its public front has no
// session left — final, as nothing can reach it any more — and then sends the byte: the worker answers and exits.

/** Opens, tracks and releases one held request per HAProxy worker. */
export class WorkerHolds {
  private readonly holds = new Map<number, net.Socket>();
  private opening: Promise<void> | null = null;
  private lastError = "";

  /**
   * @param target the `edge_hold` listener and its secret
   * @param log the agent's log
   */
  constructor(
    private readonly target: { host: string; port: number; secret: string },
    private readonly log: (line: string) => void,
  ) {}

  /** Pids of the workers held now. */
  held(): number[] {
    return [...this.holds.keys()];
  }

  /**
   * Makes sure the worker that accepts new connections (`currentPid`) is held: opens a held request when none is
   * open on it. A connection that lands on another worker (a reload under way) is closed and tried again, up to
   * 5 times. Never throws; a failure is logged and the next call tries again.
   */
  ensure(currentPid: number): Promise<void> {
    if (this.holds.has(currentPid)) return Promise.resolve();
    this.opening ??= this.open(currentPid).finally(() => (this.opening = null));
    return this.opening;
  }

  private async open(currentPid: number): Promise<void> {
    for (let attempt = 0; attempt < 5 && !this.holds.has(currentPid); attempt++) {
      try {
        const { pid, socket } = await this.hold();
        if (pid !== currentPid || this.holds.has(pid)) {
          socket.destroy();
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        this.holds.set(pid, socket);
        socket.once("close", () => {
          if (this.holds.get(pid) === socket) this.holds.delete(pid);
        });
      } catch (error) {
        // Said once until a hold succeeds again (a HAProxy still on a configuration without the listener).
        const message = (error as Error).message;
        if (message !== this.lastError) this.log(`metrics: no hold on HAProxy worker ${currentPid} (${message})`);
        this.lastError = message;
        return;
      }
      this.lastError = "";
    }
  }

  /** One connection: `GET /pid`, then the held `POST /hold`. Resolves with the worker's pid and the open socket. */
  private hold(): Promise<{ pid: number; socket: net.Socket }> {
    const { host, port, secret } = this.target;
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host, port });
      let text = "";
      const timer = setTimeout(() => fail(new Error("no answer within 5 s")), 5000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.setEncoding("latin1");
      socket.on("error", fail);
      socket.on("connect", () => socket.write(`GET /pid HTTP/1.1\r\nHost: hold\r\nX-Edge-Hold: ${secret}\r\n\r\n`));
      socket.on("data", (d: string) => {
        text += d;
        const end = text.indexOf("\r\n\r\n");
        if (end < 0) return;
        const length = Number(/\r\ncontent-length: *([0-9]+)/i.exec(text.slice(0, end))?.[1] ?? NaN);
        if (!text.startsWith("HTTP/1.1 200") || !Number.isInteger(length)) return fail(new Error(text.split("\r\n")[0]));
        if (text.length < end + 4 + length) return;
        const pid = Number(text.slice(end + 4, end + 4 + length));
        clearTimeout(timer);
        socket.removeAllListeners("data");
        socket.off("error", fail);
        socket.on("error", () => undefined); // a worker killed: "close" follows and drops the hold
        socket.write(`POST /hold HTTP/1.1\r\nHost: hold\r\nX-Edge-Hold: ${secret}\r\nContent-Length: 1\r\n\r\n`);
        resolve({ pid, socket });
      });
    });
  }

  /** Lets a held worker go: sends the awaited byte, and closes the connection. */
  release(pid: number): void {
    const socket = this.holds.get(pid);
    if (!socket) return;
    this.holds.delete(pid);
    socket.end("x");
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  /** Releases every hold (the agent stops). */
  releaseAll(): void {
    for (const pid of [...this.holds.keys()]) this.release(pid);
  }
}
