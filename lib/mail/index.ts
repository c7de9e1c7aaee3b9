import nodemailer from "nodemailer";
import type { Transporter } from "nodemailer";
import { settings } from "@/lib/config";
import { log } from "@/lib/log";
import { countMail } from "@/lib/metrics";

export type Mail = {
  to: string;
  subject: string;
  /** Plain-text part (always sent). */
  text: string;
  /** HTML part (always sent). */
  html: string;
  /** The one link the mail is about, printed to the log when no SMTP server is set. */
  link?: string;
};

let transport: { url: string; transporter: Transporter } | null = null;

function transporterFor(url: string): Transporter {
  if (!transport || transport.url !== url) transport = { url, transporter: nodemailer.createTransport(url) };
  return transport.transporter;
}

/**
 * Sends a mail with text and HTML parts through `SMTP_URL` (nodemailer, RFC 5321); with no `SMTP_URL` (the
 * embedded default) prints to, subject and link to the server log instead. Rejects when the SMTP server refuses.
 */
export async function sendMail(mail: Mail): Promise<void> {
  const { smtpUrl, mailFrom } = settings();
  if (!smtpUrl) {
    log.info(`[mail] to=${mail.to} subject=${JSON.stringify(mail.subject)}${mail.link ? ` link=${mail.link}` : ""}`);
    return countMail("logged");
  }
  try {
    await transporterFor(smtpUrl).sendMail({ from: mailFrom, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
  } catch (error) {
    countMail("failed");
    throw error;
  }
  countMail("sent");
}

/** An absolute link into the console, built from `APP_URL` only (never from a request's Host header). */
export function consoleLink(path: string): string {
  return `${settings().appUrl}${path.startsWith("/") ? path : `/${path}`}`;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * Builds a simple mail: paragraphs, one call-to-action link, and a footer; returns matching text and HTML parts.
 * Every string is escaped in the HTML part.
 */
export function composeMail(params: {
  to: string;
  subject: string;
  paragraphs: string[];
  action: { label: string; url: string };
  footer?: string;
}): Mail {
  const { to, subject, paragraphs, action, footer } = params;
  const text = [...paragraphs, `${action.label}: ${action.url}`, ...(footer ? [footer] : []), "— Edge Console"].join("\n\n") + "\n";
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#0f172a;line-height:1.5">
${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n")}
<p><a href="${escapeHtml(action.url)}" style="display:inline-block;background:#4f46e5;color:#fff;padding:10px 16px;border-radius:6px;text-decoration:none">${escapeHtml(action.label)}</a></p>
<p style="font-size:12px;color:#64748b">Or paste this link into your browser: ${escapeHtml(action.url)}</p>
${footer ? `<p style="font-size:12px;color:#64748b">${escapeHtml(footer)}</p>` : ""}
<p style="font-size:12px;color:#64748b">— Edge Console</p>
</body></html>`;
  return { to, subject, text, html, link: action.url };
}
