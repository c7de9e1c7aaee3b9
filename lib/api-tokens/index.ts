// Personal API tokens (docs/product.md §3.6): create, list, revoke, authenticate a presented value, and log the writes
// a read-only one was refused.
export {
  API_TOKEN_PATTERN,
  API_TOKEN_PREFIX,
  API_TOKEN_PREFIX_LENGTH,
  MAX_EXPIRY_DAYS,
  createApiToken,
  createApiTokenSchema,
  listApiTokens,
  newApiTokenValue,
  revokeApiToken,
  tokenState,
  type ApiToken,
  type CreateApiTokenInput,
} from "./tokens";
export { LAST_USED_RESOLUTION_MS, authenticateToken, type TokenUser } from "./authenticate";
export { WRITE_REFUSAL_RESOLUTION_MS, recordReadOnlyRefusal } from "./write-refusals";
