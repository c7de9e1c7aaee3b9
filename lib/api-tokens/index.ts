// Personal API tokens (SPEC §3.6): create, list, revoke, and authenticate a presented value.
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
