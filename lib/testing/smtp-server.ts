import http from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

/** A mail received by the test SMTP server, parsed (mailparser). */
export type ReceivedMail = { to: string[]; from: string; subject: string; text: string; html: string; receivedAt: string };

export type TestSmtpServer = {
  smtpPort: number;
  controlPort: number;
  /** `smtp://127.0.0.1:<port>` for `SMTP_URL`. */
  smtpUrl: string;
  controlUrl: string;
  /** Mails received so far, oldest first, optionally only those to `to` (case-insensitive). */
  mails(to?: string): ReceivedMail[];
  clear(): void;
  close(): Promise<void>;
};

/**
 * Starts a real SMTP server on 127.0.0.1 (smtp-server; no auth, no TLS) that keeps every mail it receives, plus an
 * HTTP control API: `GET /mails?to=<address>` → JSON array, `DELETE /mails` → clear. Port 0 = a random free port.
 */
export async function startSmtpServer(options: { smtpPort?: number; controlPort?: number } = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          received.push({
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : "",
            receivedAt: new Date().toISOString(),
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once("error", reject);
    smtp.listen(options.smtpPort ?? 0, "127.0.0.1", () => resolve());
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const mails = (to?: string) => (to ? received.filter((m) => m.to.includes(to.toLowerCase())) : [...received]);
  const control = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/mails" && req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(mails(url.searchParams.get("to") ?? undefined)));
    } else if (url.pathname === "/mails" && req.method === "DELETE") {
      received.length = 0;
      res.writeHead(204).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => control.listen(options.controlPort ?? 0, "127.0.0.1", () => resolve()));
  const controlPort = (control.address() as AddressInfo).port;

  return {
    smtpPort,
    controlPort,
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    mails,
    clear: () => {
      received.length = 0;
    },
    close: async () => {
      await Promise.all([new Promise<void>((r) => smtp.close(() => r())), new Promise<void>((r) => control.close(() => r()))]);
    },
  };
}

/** Reads the mails a test SMTP server in another process received (its control API). */
export function smtpControl(controlUrl: string) {
  return {
    async mails(to?: string): Promise<ReceivedMail[]> {
      const response = await fetch(`${controlUrl}/mails${to ? `?to=${encodeURIComponent(to)}` : ""}`);
      return (await response.json()) as ReceivedMail[];
    },
    async clear(): Promise<void> {
      await fetch(`${controlUrl}/mails`, { method: "DELETE" });
    },
  };
}
