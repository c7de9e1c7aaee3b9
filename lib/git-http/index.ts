// Git smart HTTP for application repositories (docs/product.md §3.6): the request handler, its hook callbacks, and the
// push rules. Mounted by app/git/[...path]/route.ts and app/api/internal/git/[hook]/route.ts.
export { handleGitHttpRequest, type GitHttpOptions } from "./handler";
export { handleGitHookRequest } from "./hook-endpoint";
export { parseGitHttpPath, type GitHttpTarget, type GitService } from "./paths";
export { BASIC_CHALLENGE, TOKEN_USERNAMES, tokenFromAuthorization } from "./credentials";
export { classifyRef, isEnvironmentBranchName, type RefKind, type RefUpdate } from "./push-policy";
export { checkPush, recordPush, type PushCheck } from "./receive";
