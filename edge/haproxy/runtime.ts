import net from "node:net";

// HAProxy's Runtime API and master CLI over their UNIX sockets (HAProxy 2.6 management guide, "Unix Socket commands"
// and "Master CLI"). One command per connection.

/**
 * Sends one command to a HAProxy socket and returns its whole answer as text. Rejects when the socket cannot be
 * reached or does not answer within `timeoutMs` (milliseconds).
 */
export function haproxyCommand(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let out = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`haproxy socket ${socketPath}: no answer to "${command.split(" ")[0]}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.end(`${command}\n`));
    socket.on("data", (d: string) => (out += d));
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/**
 * Applies host-map changes through the Runtime API (`add map` / `set map` / `del map`): `from` and `to` map each
 * hostname to an environment key. Throws on the first command HAProxy refuses (the caller then reloads).
 */
export async function applyMapChanges(
  socketPath: string,
  mapPath: string,
  from: ReadonlyMap<string, string>,
  to: ReadonlyMap<string, string>,
): Promise<number> {
  let count = 0;
  for (const [host] of from) {
    if (!to.has(host)) {
      await expectEmpty(socketPath, `del map ${mapPath} ${host}`);
      count++;
    }
  }
  for (const [host, key] of to) {
    const old = from.get(host);
    if (old === key) continue;
    await expectEmpty(socketPath, old === undefined ? `add map ${mapPath} ${host} ${key}` : `set map ${mapPath} ${host} ${key}`);
    count++;
  }
  return count;
}

async function expectEmpty(socketPath: string, command: string): Promise<void> {
  const answer = (await haproxyCommand(socketPath, command)).trim();
  if (answer) throw new Error(`haproxy refused "${command}": ${answer.split("\n")[0]}`);
}

/** Parses a hosts map file's text (`hostname key` per line) into a Map. */
export function parseHostsMap(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [host, key] = line.trim().split(/\s+/);
    if (host && key) m.set(host, key);
  }
  return m;
}
