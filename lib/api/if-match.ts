import { ApiProblem } from "./problem";

// `If-Match` for writes guarded by a commit ETag (RFC 9110 §13.1.1): `*`, or a list of strong entity-tags compared
// strongly. Our ETags are commit ids in quotes; a bare commit id is accepted too (a common client shortcut).

/** What an `If-Match` asks for: absent, any current version (`*`), or one of these commit ids. */
export type IfMatch = { kind: "absent" } | { kind: "any" } | { kind: "commits"; commits: string[] };

const COMMIT = /^"?([0-9a-f]{40}|[0-9a-f]{64})"?$/;

/**
 * Parses an `If-Match` header value. `*` means "any current version" (RFC 9110 §13.1.1). Otherwise each
 * comma-separated entry must be a strong ETag of a commit; a weak validator (`W/"…"`) is refused with 412
 * `precondition-failed` (If-Match uses the strong comparison), and so is anything that is not a commit ETag.
 */
export function parseIfMatch(value: string | null): IfMatch {
  if (value === null || value.trim() === "") return { kind: "absent" };
  if (value.trim() === "*") return { kind: "any" };
  const commits: string[] = [];
  for (const raw of value.split(",")) {
    const entry = raw.trim();
    if (/^W\//i.test(entry)) {
      throw new ApiProblem(
        "precondition-failed",
        `If-Match compares strongly (RFC 9110 §13.1.1): the weak validator ${entry.slice(0, 80)} cannot guard a write. Send the ETag of GET …/configuration exactly as it was given ("<commit>").`,
      );
    }
    const match = COMMIT.exec(entry);
    if (!match)
      throw new ApiProblem(
        "precondition-failed",
        "If-Match must be the ETag of GET …/configuration (the quoted commit id of the configuration you changed), or *.",
      );
    commits.push(match[1]);
  }
  return { kind: "commits", commits };
}
