import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { getDb, writeTransaction, first as firstRow, one } from "@/db";
import { applications, memberships, securityEvents } from "@/db/schema";
import { createApiRouter } from "@/lib/api/router";
import { operations } from "@/lib/api/operations";
import { handleGitHttpRequest } from "@/lib/git-http/handler";
import { securityEventDetails, securityEventLabel } from "@/lib/security-log/describe";
import { makeAccount, makeUser } from "@/lib/testing/people";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { createApiToken } from "./tokens";
import { recordReadOnlyRefusal, WRITE_REFUSAL_RESOLUTION_MS } from "./write-refusals";

// Writes refused to a read-only token, through the real REST API router and the git HTTP handler, land in the token
// owner's security log once a minute per token and route.

const api = createApiRouter(operations);

describe("writes refused to read-only tokens", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let owner: Awaited<ReturnType<typeof makeUser>>;
  let member: Awaited<ReturnType<typeof makeUser>>;
  let accountId: number;
  let readOnly: { id: number; value: string; prefix: string };
  let writable: string;

  const refusalsOf = (userId: number) =>
    getDb()
      .select()
      .from(securityEvents)
      .where(and(eq(securityEvents.userId, userId), eq(securityEvents.kind, "token.write-refused")))
      .orderBy(securityEvents.id);

  /** Moves every refusal row of `userId` `ms` into the past (as if that much time went by). */
  const age = (userId: number, ms: number) =>
    writeTransaction(async (tx) => {
      for (const row of await refusalsOf(userId)) {
        await tx
          .update(securityEvents)
          .set({ createdAt: new Date(row.createdAt.getTime() - ms) })
          .where(eq(securityEvents.id, row.id));
      }
    });

  const call = (method: string, path: string, token: string, body?: unknown) =>
    api(
      new Request(`http://localhost/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "user-agent": "curl/8.5.0" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );

  beforeAll(async () => {
    temp = makeTempDataDir("ec-write-refusals-");
    owner = await makeUser("owner@refusals.test");
    member = await makeUser("member@refusals.test");
    accountId = (
      await makeAccount("Refusals", [
        { userId: owner.id, role: "owner" },
        { userId: member.id, role: "developer" },
      ])
    ).account.id;
    const ro = await createApiToken({ userId: owner.id, name: "ci-read", readOnly: true });
    readOnly = { id: ro.token.id, value: ro.value, prefix: ro.token.prefix };
    writable = (await createApiToken({ userId: owner.id, name: "ci-write" })).value;
  });
  afterAll(() => temp.cleanup());

  it("logs a REST write refused to a read-only token once a minute per route, with what was tried", async () => {
    const path = `/account/${accountId}/user/${member.id}`;
    const first = await call("POST", path, readOnly.value, { accountCapability: "viewer" });
    expect(first.status).toBe(403);
    expect(await first.json()).toMatchObject({ type: expect.stringMatching(/read-only-token$/) });
    // Retries within the minute: refused, not logged again.
    for (let i = 0; i < 3; i++) expect((await call("POST", path, readOnly.value, { accountCapability: "viewer" })).status).toBe(403);
    // Another member's id is the same route (the path template), so still one row.
    expect((await call("POST", `/account/${accountId}/user/${owner.id}`, readOnly.value, { accountCapability: "admin" })).status).toBe(403);
    let rows = await refusalsOf(owner.id);
    expect(rows.map((r) => r.data)).toEqual([
      { tokenId: readOnly.id, tokenName: "ci-read", tokenPrefix: readOnly.prefix, route: "POST /account/{accountId}/user/{userId}" },
    ]);
    expect(rows[0].userAgent).toBe("curl/8.5.0");
    expect(securityEventLabel(rows[0].kind)).toBe("Write refused (read-only API token)");
    expect(securityEventDetails(rows[0].kind, rows[0].data)).toBe(
      `Token “ci-read” (${readOnly.prefix}…): POST /account/{accountId}/user/{userId}`,
    );

    // Another route is logged on its own.
    expect((await call("DELETE", path, readOnly.value)).status).toBe(403);
    rows = await refusalsOf(owner.id);
    expect(rows.map((r) => (r.data as { route: string }).route)).toEqual([
      "POST /account/{accountId}/user/{userId}",
      "DELETE /account/{accountId}/user/{userId}",
    ]);

    // A minute later the same route is logged again.
    await age(owner.id, WRITE_REFUSAL_RESOLUTION_MS);
    expect((await call("POST", path, readOnly.value, { accountCapability: "viewer" })).status).toBe(403);
    expect(await refusalsOf(owner.id)).toHaveLength(3);

    // Reads with the read-only token and writes with a writable one are not refusals.
    expect((await call("GET", path, readOnly.value)).status).toBe(200);
    expect((await call("POST", path, writable, { accountCapability: "viewer" })).status).toBe(200);
    expect(await refusalsOf(owner.id)).toHaveLength(3);
    expect((await firstRow(getDb().select().from(memberships).where(eq(memberships.userId, member.id))))!.role).toBe("viewer");
  });

  it("logs a git push with a read-only token once a minute per repository", async () => {
    const app = await writeTransaction((tx) =>
      one(
        tx
          .insert(applications)
          .values({ accountId, name: "site", repoName: "site", repoDir: "repo-refusals", stackId: "varnish" })
          .returning(),
      ),
    );
    await age(owner.id, WRITE_REFUSAL_RESOLUTION_MS); // the REST rows above are older than a minute
    const before = (await refusalsOf(owner.id)).length;
    const repository = `/git/account/${accountId}/application/${app.id}/site.git`;
    const push = (step: "advertise" | "rpc", token = readOnly.value) =>
      handleGitHttpRequest(
        new Request(
          step === "advertise"
            ? `http://localhost${repository}/info/refs?service=git-receive-pack`
            : `http://localhost${repository}/git-receive-pack`,
          {
            method: step === "advertise" ? "GET" : "POST",
            headers: { authorization: `Basic ${Buffer.from(`token:${token}`).toString("base64")}`, "user-agent": "git/2.43.0" },
          },
        ),
      );
    const refused = await push("advertise");
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/is read-only: it can fetch but not push/);
    expect((await push("rpc")).status).toBe(403);
    expect((await push("advertise")).status).toBe(403);
    const rows = (await refusalsOf(owner.id)).slice(before);
    expect(rows.map((r) => [r.data, r.userAgent])).toEqual([
      [{ tokenId: readOnly.id, tokenName: "ci-read", tokenPrefix: readOnly.prefix, route: `git push ${repository}` }, "git/2.43.0"],
    ]);
    // Fetching with it is not a refusal.
    const fetch = await handleGitHttpRequest(
      new Request(`http://localhost${repository}/info/refs?service=git-upload-pack`, {
        headers: { authorization: `Basic ${Buffer.from(`token:${readOnly.value}`).toString("base64")}` },
      }),
    );
    expect(fetch.status).not.toBe(403);
    expect((await refusalsOf(owner.id)).length).toBe(before + 1);
  });

  it("writes once when the same refusal is recorded concurrently", async () => {
    const user = await makeUser("burst@refusals.test");
    const { token } = await createApiToken({ userId: user.id, name: "burst", readOnly: true });
    const results = await Promise.all(Array.from({ length: 5 }, () => recordReadOnlyRefusal({ token, route: "POST /account/create" })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await refusalsOf(user.id)).toHaveLength(1);
  });
});
