export * from "./users";
export * from "./accounts";
export * from "./applications";
export * from "./domains";
export * from "./audit";
export * from "./people";
export * from "./tokens";
