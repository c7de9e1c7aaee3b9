import { describe, expect, it } from "vitest";
import { parseCgiHeaders } from "./backend";
import { tokenFromAuthorization } from "./credentials";
import { parseGitHttpPath } from "./paths";
import { classifyRef, isZeroId } from "./push-policy";

const q = (s = "") => new URLSearchParams(s);
const base = "/git/account/3/application/7/www.example.com.git";

describe("parseGitHttpPath", () => {
  it("accepts the three requests of the smart protocol", () => {
    expect(parseGitHttpPath("GET", `${base}/info/refs`, q("service=git-upload-pack"))).toEqual({
      accountId: 3,
      applicationId: 7,
      repoName: "www.example.com",
      service: "git-upload-pack",
      step: "advertise",
      suffix: "info/refs",
    });
    expect(parseGitHttpPath("GET", `${base}/info/refs`, q("service=git-receive-pack"))?.service).toBe("git-receive-pack");
    expect(parseGitHttpPath("POST", `${base}/git-upload-pack`, q())).toMatchObject({ step: "rpc", suffix: "git-upload-pack" });
    expect(parseGitHttpPath("POST", `${base}/git-receive-pack`, q())).toMatchObject({ step: "rpc", service: "git-receive-pack" });
    expect(
      parseGitHttpPath("GET", "/git/account/3/application/7/xn--bcher-kva.example.git/info/refs", q("service=git-upload-pack"))?.repoName,
    ).toBe("xn--bcher-kva.example");
  });

  it.each([
    ["GET", `${base}/info/refs`, ""],
    ["GET", `${base}/info/refs`, "service=git-upload-archive"],
    ["GET", `${base}/info/refs`, "service=git-upload-pack&service=git-receive-pack"],
    ["HEAD", `${base}/info/refs`, "service=git-upload-pack"],
    ["PUT", `${base}/git-receive-pack`, ""],
    ["GET", `${base}/HEAD`, ""],
    ["GET", `${base}/objects/info/packs`, ""],
    ["POST", `${base}/git-upload-pack/x`, ""],
    ["POST", `${base}//git-upload-pack`, ""],
    ["GET", "/git/account/3/application/7/www.example.com/info/refs", "service=git-upload-pack"],
    ["GET", "/git/account/3/application/7/.git/info/refs", "service=git-upload-pack"],
    ["GET", "/git/account/3/application/7/..%2Fx.git/info/refs", "service=git-upload-pack"],
    ["GET", "/git/account/3/application/7/%2e%2e.git/info/refs", "service=git-upload-pack"],
    ["GET", "/git/account/3/application/7/%E0%A4%A.git/info/refs", "service=git-upload-pack"],
    ["GET", "/git/account/03/application/7/x.git/info/refs", "service=git-upload-pack"],
    ["GET", "/git/account/0/application/7/x.git/info/refs", "service=git-upload-pack"],
    ["GET", "/git/account/3/application/99999999999999999/x.git/info/refs", "service=git-upload-pack"],
    ["GET", "/git/account/x/application/7/x.git/info/refs", "service=git-upload-pack"],
    ["GET", "/git/accounts/3/application/7/x.git/info/refs", "service=git-upload-pack"],
    ["GET", "/api/account/3/application/7/x.git/info/refs", "service=git-upload-pack"],
  ])("refuses %s %s?%s", (method, pathname, search) => {
    expect(parseGitHttpPath(method, pathname, q(search))).toBeNull();
  });
});

describe("tokenFromAuthorization", () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString("base64")}`;
  it("takes the password of user token or section-token, or a Bearer token", () => {
    expect(tokenFromAuthorization(basic("token:ec_abc"))).toBe("ec_abc");
    expect(tokenFromAuthorization(basic("Section-Token:ec_abc"))).toBe("ec_abc");
    expect(tokenFromAuthorization(basic("token:a:b"))).toBe("a:b");
    expect(tokenFromAuthorization("Bearer ec_abc")).toBe("ec_abc");
    expect(tokenFromAuthorization("bearer ec_abc")).toBe("ec_abc");
  });
  it.each([
    null,
    "",
    "Basic",
    "Basic !!!",
    basic("token"),
    basic("token:"),
    basic("alice:ec_abc"),
    "Digest x",
    "Bearer a b",
    "x".repeat(5000),
  ])("ignores %s", (header) => {
    expect(tokenFromAuthorization(header)).toBeNull();
  });
});

describe("parseCgiHeaders", () => {
  it("maps Status and keeps the other headers", () => {
    const { status, headers } = parseCgiHeaders(
      "Status: 403 Forbidden\r\nContent-Type: text/plain\r\nExpires: Fri, 01 Jan 1980 00:00:00 GMT\r\nTransfer-Encoding: chunked",
    );
    expect(status).toBe(403);
    expect(headers.get("content-type")).toBe("text/plain");
    expect(headers.get("expires")).toBe("Fri, 01 Jan 1980 00:00:00 GMT");
    expect(headers.has("transfer-encoding")).toBe(false);
    expect(headers.has("status")).toBe(false);
    expect(parseCgiHeaders("Content-Type: application/x-git-upload-pack-advertisement\n").status).toBe(200);
    expect(parseCgiHeaders("Status: banana\n").status).toBe(200);
  });
});

describe("classifyRef", () => {
  const envs = ["Production", "Staging"];
  it("tells environment branches, case twins, new environments, plain branches, tags and the rest apart", () => {
    expect(classifyRef("refs/heads/Production", envs)).toEqual({ kind: "environment", branch: "Production", existing: "Production" });
    expect(classifyRef("refs/heads/production", envs)).toEqual({ kind: "case-conflict", branch: "production", environment: "Production" });
    expect(classifyRef("refs/heads/STAGING", envs)).toEqual({ kind: "case-conflict", branch: "STAGING", environment: "Staging" });
    expect(classifyRef("refs/heads/Qa2", envs)).toEqual({ kind: "environment", branch: "Qa2", existing: null });
    for (const plain of ["feature/x", "my-fix", "2024", "qa_1", "Production/x"]) {
      expect(classifyRef(`refs/heads/${plain}`, envs), plain).toEqual({ kind: "branch", branch: plain });
    }
    expect(classifyRef("refs/tags/v1", envs)).toEqual({ kind: "tag", tag: "v1" });
    expect(classifyRef("refs/notes/commits", envs)).toEqual({ kind: "unsupported" });
    expect(classifyRef("refs/heads/", envs)).toEqual({ kind: "unsupported" });
    expect(classifyRef("HEAD", envs)).toEqual({ kind: "unsupported" });
    expect(classifyRef("refs/tags/deleted/Qa-20261130T162206Z", envs).kind).toBe("reserved");
    expect(classifyRef("refs/heads/HEAD", envs).kind).toBe("reserved");
    expect(classifyRef("refs/heads/--upload-pack=x", envs).kind).toBe("reserved");
    expect(classifyRef("refs/heads/feature/-x", envs).kind).toBe("reserved");
    expect(classifyRef("refs/tags/v1.0", envs)).toEqual({ kind: "tag", tag: "v1.0" });
  });
  it("knows git's all-zero id", () => {
    expect(isZeroId("0".repeat(40))).toBe(true);
    expect(isZeroId("0".repeat(64))).toBe(true);
    expect(isZeroId("0".repeat(39) + "1")).toBe(false);
  });
});
