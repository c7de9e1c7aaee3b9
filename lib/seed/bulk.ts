import type { RawQuery } from "@/db/raw";

// Multi-row inserts for the seed (lib/seed): `INSERT INTO t (…) VALUES (?, …), (?, …) … [RETURNING …]`, the same text
// on SQLite and PostgreSQL (db/raw.ts). One statement per STATEMENT_ROWS rows instead of one per row: a little faster
// than prepared per-row statements on SQLite, and one round trip per STATEMENT_ROWS rows on PostgreSQL.

/** Rows per statement (fewer when the columns would pass MAX_PARAMETERS). */
const STATEMENT_ROWS = 500;
/** Bound parameters per statement: below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMETERS = 30_000;

const texts = new Map<string, string>();

/** The statement text for `count` rows of `columns.length` values (cached: one text per table and row count). */
function insertText(head: string, width: number, count: number, returning: string | undefined): string {
  const key = `${head}|${count}|${returning ?? ""}`;
  let text = texts.get(key);
  if (text === undefined) {
    const row = `(${Array.from({ length: width }, () => "?").join(", ")})`;
    text = `${head} VALUES ${Array.from({ length: count }, () => row).join(", ")}${returning ? ` RETURNING ${returning}` : ""}`;
    texts.set(key, text);
  }
  return text;
}

/**
 * Inserts `rows` (each the values of `columns`, in order) into `table`, STATEMENT_ROWS rows a statement, in the
 * order given. With `returning` (a column list such as `id, hostname`), resolves to the rows the statements returned
 * (their order is not guaranteed: map them back by a unique column); without it, to [].
 */
export async function insertRows<T = never>(
  q: RawQuery,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  returning?: string,
): Promise<T[]> {
  const width = columns.length;
  const per = Math.max(1, Math.min(STATEMENT_ROWS, Math.floor(MAX_PARAMETERS / width)));
  const head = `INSERT INTO ${table} (${columns.join(", ")})`;
  const out: T[] = [];
  for (let start = 0; start < rows.length; start += per) {
    const count = Math.min(per, rows.length - start);
    const params = new Array<unknown>(count * width);
    for (let r = 0; r < count; r++) {
      const row = rows[start + r];
      if (row.length !== width) throw new Error(`seed: a row of ${table} has ${row.length} values for ${width} columns`);
      for (let c = 0; c < width; c++) params[r * width + c] = row[c];
    }
    const text = insertText(head, width, count, returning);
    if (returning) out.push(...(await q.rows<T>(text, params)));
    else await q.run(text, params);
  }
  return out;
}
