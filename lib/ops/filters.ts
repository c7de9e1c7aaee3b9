import { domainToASCII } from "node:url";
import { DOMAIN_STATUSES, type DomainStatus } from "@/db/schema";
import { MAX_HOSTNAME_LENGTH } from "@/lib/hostname";

/** Rows per `/ops` page. */
export const OPS_PAGE_SIZE = 50;

/**
 * What `/ops` lists, parsed from its URL (docs/product.md §3.5): a status, flagged only, one account, a hostname prefix, and a
 * keyset cursor — `after` (Next: rows whose hostname sorts after it) or `before` (Previous).
 */
export type OpsFilter = {
  status: DomainStatus | null;
  flagged: boolean;
  accountId: number | null;
  /** Lower-case A-label prefix of the hostname ("" = any). */
  prefix: string;
  after: string | null;
  before: string | null;
};

/** Messages for filter fields the operator typed wrongly (shown next to the field; the filter is then ignored). */
export type OpsFilterErrors = { account?: string; q?: string };

type Params = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

/**
 * Normalises a hostname search into a stored-form prefix (docs/product.md §4 where it applies to part of a name): trims,
 * lower-cases, takes the host out of a pasted URL, drops a leading `*.` and one trailing dot, and turns Unicode
 * labels into A-labels (UTS-46, so `Bücher.example` finds `xn--bcher-kva.example`). Returns `{ prefix }` or
 * `{ error }` when what is left holds characters no hostname has, or is longer than 253 characters.
 */
export function normaliseHostnamePrefix(input: string): { prefix: string } | { error: string } {
  let text = input.trim().toLowerCase();
  const url = /^[a-z][a-z0-9+.-]*:\/\//.test(text) ? safeUrlHost(text) : null;
  if (url !== null) text = url;
  text = text.replace(/^\*\./, "").replace(/\.$/, "");
  if (/[^\x00-\x7f]/.test(text)) {
    // A whole Unicode name converts as a whole; otherwise convert complete labels only (a partial label's
    // punycode is not a prefix of the full label's).
    const whole = domainToASCII(text);
    if (whole) text = whole;
    else
      text = text
        .split(".")
        .map((label) => domainToASCII(label) || label)
        .join(".");
  }
  if (text.length > MAX_HOSTNAME_LENGTH) return { error: `A hostname has at most ${MAX_HOSTNAME_LENGTH} characters.` };
  if (/[^a-z0-9.-]/.test(text))
    return { error: "Search by the start of a hostname: letters, digits, dots and hyphens, e.g. shop.example." };
  return { prefix: text };
}

function safeUrlHost(text: string): string | null {
  try {
    return new URL(text).hostname;
  } catch {
    return null;
  }
}

/** A positive decimal id, or null for anything else. */
function positiveId(raw: string): number | null {
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}

/** A cursor is a stored hostname: ASCII, at most 253 characters; anything else is dropped (first page). */
function cursor(raw: string): string | null {
  return raw && raw.length <= MAX_HOSTNAME_LENGTH && /^[a-z0-9.-]+$/.test(raw) ? raw : null;
}

/**
 * Parses `/ops` search params: `status` (a domain status, or `flagged`), `account` (an account id), `q` (hostname
 * prefix), `after` / `before` (keyset cursors; `after` wins when both are given). Unknown values are ignored;
 * a malformed account id or search gets a message in `errors` and is not applied. Pure.
 */
export function parseOpsFilter(params: Params): {
  filter: OpsFilter;
  errors: OpsFilterErrors;
  values: { status: string; account: string; q: string };
} {
  const errors: OpsFilterErrors = {};
  const rawStatus = one(params.status);
  const status = (DOMAIN_STATUSES as readonly string[]).includes(rawStatus) ? (rawStatus as DomainStatus) : null;
  const rawAccount = one(params.account).trim();
  const accountId = rawAccount ? positiveId(rawAccount.replace(/^#/, "")) : null;
  if (rawAccount && accountId === null) errors.account = "Enter an account id: a whole number such as 42.";
  const q = one(params.q);
  const searched = q.trim() ? normaliseHostnamePrefix(q) : { prefix: "" };
  if ("error" in searched) errors.q = searched.error;
  const after = cursor(one(params.after));
  return {
    filter: {
      status,
      flagged: rawStatus === "flagged",
      accountId,
      prefix: "prefix" in searched ? searched.prefix : "",
      after,
      before: after ? null : cursor(one(params.before)),
    },
    errors,
    values: { status: status ?? (rawStatus === "flagged" ? "flagged" : ""), account: rawAccount, q },
  };
}

/** The `/ops` URL for a filter (without cursors unless given), e.g. `/ops?status=live&q=shop`. */
export function opsHref(
  filter: Pick<OpsFilter, "status" | "flagged" | "accountId" | "prefix">,
  cursorParams: { after?: string; before?: string } = {},
): string {
  const search = new URLSearchParams();
  if (filter.flagged) search.set("status", "flagged");
  else if (filter.status) search.set("status", filter.status);
  if (filter.accountId) search.set("account", String(filter.accountId));
  if (filter.prefix) search.set("q", filter.prefix);
  if (cursorParams.after) search.set("after", cursorParams.after);
  if (cursorParams.before) search.set("before", cursorParams.before);
  const qs = search.toString();
  return qs ? `/ops?${qs}` : "/ops";
}
