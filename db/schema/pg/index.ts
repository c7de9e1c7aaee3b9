// The PostgreSQL tables of the console: db/schema/sqlite.ts's tables under the same export names, mirrored module by
// module (db/schema/parity.test.ts holds them equal). Constants and types come from the SQLite modules.
export * from "./users";
export * from "./accounts";
export * from "./applications";
export * from "./domains";
export * from "./audit";
export * from "./people";
export * from "./tokens";
export * from "./ops";
export * from "./security";
export * from "./edge";
export * from "./https";
export * from "./traffic";
export * from "./purge";
