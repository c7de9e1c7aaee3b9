// The SQLite tables of the console (the embedded default; docs/architecture.md, "Data"). db/schema/pg mirrors them
// for PostgreSQL with the same names and inferred row types; db/schema/index.ts picks one by `DATABASE_URL`.
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
