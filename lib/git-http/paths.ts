// What a smart-HTTP git URL asks for (gitprotocol-http(5)): which repository, which service, which step.
// Only the three requests of the smart protocol are served; everything else (the dumb protocol's file reads,
// HEAD, objects/…, other methods) is "not found", so no other path ever reaches git-http-backend(1).

/** The two git services of the smart HTTP protocol: fetch/clone and push. */
export type GitService = "git-upload-pack" | "git-receive-pack";

/** A parsed request for `/git/account/{accountId}/application/{appId}/{name}.git/<step>`. */
export type GitHttpTarget = {
  accountId: number;
  applicationId: number;
  /** `{name}` without `.git`, percent-decoded; must equal the application's `repoName`. */
  repoName: string;
  service: GitService;
  /** `advertise`: GET `info/refs?service=…` (ref advertisement); `rpc`: POST `/<service>` (the exchange itself). */
  step: "advertise" | "rpc";
  /** The path below the repository that git-http-backend(1) gets in PATH_INFO: `info/refs` or the service name. */
  suffix: "info/refs" | GitService;
};

const SERVICES: readonly string[] = ["git-upload-pack", "git-receive-pack"];
const ID = /^[1-9][0-9]{0,15}$/;

function decodeSegment(segment: string): string | null {
  try {
    const decoded = decodeURIComponent(segment);
    // An encoded "/" or "\" or a NUL would change what the segment means: refuse.
    return /[/\\\0]/.test(decoded) ? null : decoded;
  } catch {
    return null;
  }
}

function toId(segment: string): number | null {
  if (!ID.test(segment)) return null;
  const id = Number(segment);
  return Number.isSafeInteger(id) ? id : null;
}

/**
 * Parses a request for the git smart HTTP protocol (gitprotocol-http(5)) mounted at `/git`: `method` and the
 * URL's `pathname` and `searchParams`. Accepts exactly GET `…/{name}.git/info/refs?service=git-upload-pack|git-receive-pack`
 * and POST `…/{name}.git/git-upload-pack|git-receive-pack`; returns null for anything else (answer 404).
 */
export function parseGitHttpPath(method: string, pathname: string, searchParams: URLSearchParams): GitHttpTarget | null {
  const raw = pathname.split("/");
  // ["", "git", "account", id, "application", id, "<name>.git", ...rest]
  if (raw.length < 8 || raw[0] !== "" || raw[1] !== "git" || raw[2] !== "account" || raw[4] !== "application") return null;
  const accountId = toId(raw[3]);
  const applicationId = toId(raw[5]);
  const repo = decodeSegment(raw[6]);
  if (accountId === null || applicationId === null || repo === null) return null;
  if (!repo.endsWith(".git") || repo.length <= 4) return null;
  const repoName = repo.slice(0, -4);
  if (repoName === "." || repoName === "..") return null;
  const rest = raw.slice(7).join("/");

  if (method === "GET" && rest === "info/refs") {
    const service = searchParams.get("service");
    if (!service || !SERVICES.includes(service) || searchParams.getAll("service").length !== 1) return null;
    return { accountId, applicationId, repoName, service: service as GitService, step: "advertise", suffix: "info/refs" };
  }
  if (method === "POST" && SERVICES.includes(rest)) {
    return { accountId, applicationId, repoName, service: rest as GitService, step: "rpc", suffix: rest as GitService };
  }
  return null;
}
