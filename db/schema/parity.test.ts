import { type Column, getTableColumns, getTableName, is, SQL, type Table } from "drizzle-orm";
import { getTableConfig as pgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as pg from "./pg";
import * as sqlite from "./sqlite";

// The console is written once against the SQLite tables' types and swaps in the PostgreSQL tables at run time
// (db/schema/index.ts): both schemas must define the same tables, columns, keys and indexes, and the same row types.

/**
 * SQLite's `integer(...).primaryKey()` without autoincrement is a rowid alias: drizzle gives it a default (a row
 * inserted without it gets the next rowid). PostgreSQL keeps a plain bigint primary key there, which must be given.
 */
const ROWID_KEYS = { edgeEnvironmentVersions: "environmentId", edgeStateVersion: "id", trafficAlerts: "environmentId" } as const;
type RowidKeys = typeof ROWID_KEYS;

const sqliteTables = Object.entries(sqlite as Record<string, unknown>).filter((entry): entry is [string, SQLiteTable] =>
  is(entry[1], SQLiteTable),
);
const pgTables = Object.entries(pg as Record<string, unknown>).filter((entry): entry is [string, PgTable] => is(entry[1], PgTable));
const pgByExport = new Map(pgTables);

type Config = ReturnType<typeof sqliteTableConfig> | ReturnType<typeof pgTableConfig>;
/** An index's column (a Column on SQLite, an IndexedColumn on PostgreSQL) or expression. */
const columnName = (c: unknown) => (is(c, SQL) ? "<sql>" : (c as { name: string }).name);

/** The table's keys, indexes and constraints in a dialect-neutral form (names, columns, uniqueness, ON DELETE). */
function shape(config: Config) {
  const byName = <T extends { name: string }>(items: T[]) => items.sort((a, b) => a.name.localeCompare(b.name));
  return {
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    indexes: byName(
      config.indexes.map((i) => ({
        name: i.config.name ?? "",
        unique: i.config.unique,
        columns: i.config.columns.map(columnName),
        partial: i.config.where !== undefined,
      })),
    ),
    uniques: byName(config.uniqueConstraints.map((u) => ({ name: u.getName() ?? "", columns: u.columns.map((c) => c.name) }))),
    uniqueColumns: config.columns.filter((c) => c.isUnique).map((c) => c.uniqueName),
    checks: config.checks.map((c) => c.name).sort(),
    foreignKeys: byName(
      config.foreignKeys.map((fk) => {
        const ref = fk.reference();
        return {
          name: fk.getName(),
          columns: ref.columns.map((c) => c.name),
          table: getTableName(ref.foreignTable as Table),
          foreignColumns: ref.foreignColumns.map((c) => c.name),
          onDelete: fk.onDelete ?? "no action",
        };
      }),
    ),
  };
}

describe("PostgreSQL schema parity with SQLite", () => {
  it("exports the same tables under the same names", () => {
    expect(sqliteTables.length).toBeGreaterThan(30);
    expect(pgTables.map(([name]) => name).sort()).toEqual(sqliteTables.map(([name]) => name).sort());
  });

  it.each(sqliteTables)("%s has the same SQL name, columns, keys and indexes", (exportName, sqliteTable) => {
    const pgTable = pgByExport.get(exportName);
    expect(pgTable, `db/schema/pg exports no table ${exportName}`).toBeDefined();
    if (!pgTable) return;
    expect(getTableName(pgTable)).toBe(getTableName(sqliteTable));

    const sqliteColumns: Record<string, Column> = getTableColumns(sqliteTable);
    const pgColumns: Record<string, Column> = getTableColumns(pgTable);
    expect(Object.keys(pgColumns)).toEqual(Object.keys(sqliteColumns));
    const rowidKey: string | undefined = ROWID_KEYS[exportName as keyof RowidKeys];
    for (const [key, column] of Object.entries(sqliteColumns)) {
      const pgColumn = pgColumns[key];
      const where = `${exportName}.${key}`;
      expect(pgColumn.name, where).toBe(column.name);
      expect(pgColumn.notNull, `${where} notNull`).toBe(column.notNull);
      expect(pgColumn.primary, `${where} primary`).toBe(column.primary);
      expect(pgColumn.hasDefault, `${where} hasDefault`).toBe(key === rowidKey ? false : column.hasDefault);
    }
    if (rowidKey) expect(sqliteColumns[rowidKey].hasDefault && sqliteColumns[rowidKey].primary).toBe(true);

    expect(shape(pgTableConfig(pgTable))).toEqual(shape(sqliteTableConfig(sqliteTable)));
  });

  it("gives every index and constraint a name unique in the schema and within PostgreSQL's 63 bytes", () => {
    const relations: string[] = []; // one namespace per schema in PostgreSQL: tables, indexes, key/unique constraints
    const constraints: string[] = []; // per table
    for (const [, table] of pgTables) {
      const config = pgTableConfig(table);
      relations.push(config.name);
      relations.push(...config.indexes.map((i) => i.config.name ?? ""));
      relations.push(...config.uniqueConstraints.map((u) => u.getName() ?? ""));
      relations.push(...config.columns.filter((c) => c.isUnique).map((c) => c.uniqueName ?? ""));
      relations.push(...config.primaryKeys.map((pk) => pk.getName()));
      constraints.push(...config.checks.map((c) => c.name), ...config.foreignKeys.map((fk) => fk.getName()));
    }
    expect(relations.filter((name, i) => !name || relations.indexOf(name) !== i)).toEqual([]);
    expect([...relations, ...constraints].filter((name) => Buffer.byteLength(name) > 63)).toEqual([]);
  });
});

// Compile-time: the inferred row types are the same for every table (`npx tsc --noEmit` checks this file).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type SqliteModule = typeof sqlite;
type PgModule = typeof pg;
type SqliteTableName = { [K in keyof SqliteModule]: SqliteModule[K] extends SQLiteTable ? K : never }[keyof SqliteModule];
type PgTableName = { [K in keyof PgModule]: PgModule[K] extends PgTable ? K : never }[keyof PgModule];
type AllTrue = { [K in SqliteTableName]: true };

/** PostgreSQL's insert row with the rowid keys optional, as SQLite has them. */
type PgInsertAsSqlite<K extends keyof PgModule & SqliteTableName, I = PgModule[K]["$inferInsert"]> = K extends keyof RowidKeys
  ? Simplify<Omit<I, RowidKeys[K]> & Partial<Pick<I, RowidKeys[K] & keyof I>>>
  : I;

type SelectParity = {
  [K in SqliteTableName]: K extends PgTableName ? Equal<SqliteModule[K]["$inferSelect"], PgModule[K]["$inferSelect"]> : false;
};
type InsertParity = {
  [K in SqliteTableName]: K extends PgTableName ? Equal<SqliteModule[K]["$inferInsert"], PgInsertAsSqlite<K>> : false;
};

it("has the same inferred row types (checked by tsc)", () => {
  expectTypeOf<PgTableName>().toEqualTypeOf<SqliteTableName>();
  expectTypeOf<SelectParity>().toEqualTypeOf<AllTrue>();
  expectTypeOf<InsertParity>().toEqualTypeOf<AllTrue>();
  // The rowid keys are the only difference: required on PostgreSQL.
  expectTypeOf<Pick<PgModule["edgeStateVersion"]["$inferInsert"], "id">>().toEqualTypeOf<{ id: number }>();
  expectTypeOf<Pick<SqliteModule["edgeStateVersion"]["$inferInsert"], "id">>().toEqualTypeOf<{ id?: number }>();
});
