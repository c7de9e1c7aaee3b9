// PostgreSQL column types that store what the SQLite schema stores (db/schema/*.ts), so both dialects hold the same
// values and raw SQL fragments (`flagged = 1`, `created_at < ${ms}`) mean the same on both. db/schema/parity.test.ts
// holds the two schemas equal.
import { sql } from "drizzle-orm";
import { bigint, customType } from "drizzle-orm/pg-core";

/**
 * SQLite `integer(name, { mode: "timestamp_ms" })`: epoch milliseconds in a `bigint`, a `Date` in JavaScript.
 * node-postgres returns `bigint` as a string, hence `Number(value)`.
 */
export const timestampMs = customType<{ data: Date; driverData: number | string }>({
  dataType: () => "bigint",
  toDriver: (value) => value.getTime(),
  fromDriver: (value) => new Date(Number(value)),
});

/** SQLite `integer(name, { mode: "boolean" })`: 0/1 in a `smallint`, a boolean in JavaScript. */
export const integerBoolean = customType<{ data: boolean; driverData: number | string }>({
  dataType: () => "smallint",
  toDriver: (value) => (value ? 1 : 0),
  fromDriver: (value) => Number(value) === 1,
});

/**
 * SQLite `integer(name)`: a 64-bit integer, a number in JavaScript (values past 2^53 lose precision on both
 * dialects). PostgreSQL's `integer` is 32-bit and would overflow on ms timestamps and byte counts.
 */
export function int64<TName extends string>(name: TName) {
  return bigint(name, { mode: "number" });
}

/**
 * SQLite `integer("id").primaryKey({ autoIncrement: true })`: a `bigint` identity that still accepts explicit ids
 * (BY DEFAULT), like SQLite's rowid.
 */
export function id() {
  return int64("id").primaryKey().generatedByDefaultAsIdentity();
}

/**
 * Default of an `integerBoolean` column that SQLite declares `.default(false)`: drizzle-kit writes a non-SQL default
 * as it is (`DEFAULT false`), which PostgreSQL refuses on a `smallint`.
 */
export const SQL_FALSE = sql`0`;

/** SQLite's `(unixepoch('subsec') * 1000)`: the current time in epoch milliseconds. */
export const NOW_MS = sql`((extract(epoch from clock_timestamp()) * 1000)::bigint)`;

/**
 * SQLite `text(name)` for hostnames, compared byte by byte as SQLite's BINARY collation does: `text COLLATE "C"`.
 * Keyset paging by hostname (`/ops`, the domain lists) and its indexes then order exactly as on SQLite, whatever the
 * database's own collation is (an `en_US` one ignores the dots and hyphens of hostnames at its first level).
 */
export const bytewiseText = customType<{ data: string }>({
  dataType: () => 'text COLLATE "C"',
});
