// The git layer: repositories are bare, driven through the `git` CLI (see ./run for the child environment).
export { GitError, gitEnv, runGit, runGitText, type RunGitOptions } from "./run";
export { PRODUCTION_BRANCH, isSafeTreePath, isValidBranchName } from "./names";
export {
  RepositoryPathTakenError,
  createBareRepository,
  platformIdentity,
  type CreateBareRepositoryOptions,
  type CreatedRepository,
  type GitIdentity,
} from "./create-repository";
export { listTree, readBlob, type TreeEntry } from "./read";
