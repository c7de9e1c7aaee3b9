import { z } from "./zod";

// Lists are bare JSON arrays (as in Section's API); further pages are linked with an RFC 8288 `Link` header
// (rel="next"). Keyset pagination: `cursor` is the id to continue after, so pages stay stable while rows are added.

/** Query of a paginated list: `limit` (1–100, default 50) and `cursor` (from the previous page's next link). */
export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ description: "Items per page (1–100, default 50)." }),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'Use the cursor of a `Link: rel="next"` header.')
    .optional()
    .openapi({ description: 'Where to continue: taken from the previous page\'s `Link` header (rel="next").' }),
});

/** The documented `Link` response header of paginated lists. */
export const linkHeader = {
  Link: {
    description: 'RFC 8288 link to the next page, e.g. `<…?limit=50&cursor=42>; rel="next"`; absent on the last page.',
    schema: z.string(),
  },
};

/**
 * One page from `rows` fetched as `limit + 1` in keyset order: the first `limit` rows, and the `Link` header to
 * the next page (same URL with `cursor` = the last row's key) when there was one more row.
 */
export function page<T>(rows: T[], limit: number, url: URL, key: (row: T) => number): { items: T[]; headers: Record<string, string> } {
  if (rows.length <= limit) return { items: rows, headers: {} };
  const items = rows.slice(0, limit);
  const next = new URL(url);
  next.searchParams.set("limit", String(limit));
  next.searchParams.set("cursor", String(key(items[items.length - 1])));
  return { items, headers: { link: `<${next.pathname}${next.search}>; rel="next"` } };
}
