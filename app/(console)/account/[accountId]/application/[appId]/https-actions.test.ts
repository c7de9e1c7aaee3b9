import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { haveTool } from "@/edge/modules/tools";
import { NOT_FOUND_MESSAGE } from "@/lib/actions";
import { listAuditEvents } from "@/lib/audit/queries";
import { httpsStateFor } from "@/lib/https/edge";
import { environmentRow, makeApplication } from "@/lib/environments/fixtures";
import { certificateOf, findDomain } from "@/lib/https/store";
import { makeTestPki, type TestPki } from "@/lib/https/test-pki";
import { formData, signInForActions } from "@/lib/testing/action-request";
import { setTestEnv } from "@/lib/testing/env";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { removeCertificateAction, renewCertificateAction, setRedirectHttpsAction, uploadCertificateAction } from "./https-actions";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// The HTTPS actions through the server-action wrapper, signed in as real users (docs/product.md §9): owners and admins
// only; viewers and developers get the role sentence; another account's member gets the not-found message.

describe.skipIf(!haveTool("openssl") && process.env.CI !== "true")("HTTPS actions (needs openssl)", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  let restoreEnv: () => void;
  let fixture: Awaited<ReturnType<typeof makeApplication>>;
  let stranger: Awaited<ReturnType<typeof makeApplication>>;
  let pki: TestPki;
  let domainId: number;
  const hostname = "www.acttls.example";

  beforeAll(async () => {
    restoreEnv = setTestEnv({ ACME_DIRECTORY_URL: "", ACME_EMAIL: "" });
    temp = makeTempDataDir("ec-https-actions-");
    fixture = await makeApplication("acttls");
    stranger = await makeApplication("actstranger", ["owner"]);
    domainId = (await findDomain(fixture.app.accountId, hostname))!.id;
    pki = makeTestPki();
    pki.ca("Action CA");
  });
  afterAll(() => {
    pki?.remove();
    temp.cleanup();
    restoreEnv();
  });

  it("upload: refused to viewers, developers and strangers; field messages for a bad key; stored for an admin", async () => {
    const chain = pki.issue("act", "Action CA", [hostname]);
    const key = pki.read("act.key");
    const form = () => formData({ domainId, public_certificates: chain, private_key: key });
    await signInForActions(fixture.user("viewer"));
    expect(await uploadCertificateAction({}, form())).toMatchObject({
      message: expect.stringContaining("(Viewer) cannot manage certificates"),
    });
    await signInForActions(fixture.user("developer"));
    expect(await uploadCertificateAction({}, form())).toMatchObject({
      message: expect.stringContaining("(Developer) cannot manage certificates"),
    });
    await signInForActions(stranger.user("owner"));
    expect(await uploadCertificateAction({}, form())).toMatchObject({ message: NOT_FOUND_MESSAGE });
    expect(await certificateOf(domainId)).toBeUndefined();

    await signInForActions(fixture.user("admin"));
    const wrong = await uploadCertificateAction({}, formData({ domainId, public_certificates: chain, private_key: pki.key("act-other") }));
    expect(wrong).toMatchObject({ fieldErrors: { private_key: expect.stringContaining("does not match") } });
    const wrongHost = await uploadCertificateAction(
      {},
      formData({ domainId, public_certificates: pki.issue("act-b", "Action CA", ["b.example"]), private_key: pki.read("act-b.key") }),
    );
    expect(wrongHost).toMatchObject({ fieldErrors: { public_certificates: `The certificate covers b.example, not ${hostname}.` } });
    const huge = await uploadCertificateAction({}, formData({ domainId, public_certificates: "A".repeat(200_000), private_key: key }));
    expect(huge).toMatchObject({ fieldErrors: { public_certificates: "The certificate chain is larger than 64 KiB." }, chain: "" });
    const hugeKey = await uploadCertificateAction({}, formData({ domainId, public_certificates: chain, private_key: "A".repeat(70_000) }));
    expect(hugeKey).toMatchObject({ fieldErrors: { private_key: "The private key is larger than 64 KiB." }, chain });
    const stored = await uploadCertificateAction({}, form());
    expect(stored).toMatchObject({ ok: true, message: expect.stringContaining("issued by Action CA") });
    expect(JSON.stringify(stored)).not.toContain("PRIVATE KEY");
    expect(await certificateOf(domainId)).toMatchObject({ source: "custom", state: "issued" });

    expect(await removeCertificateAction({}, formData({ domainId }))).toMatchObject({ ok: true });
    expect(await certificateOf(domainId)).toMatchObject({ source: "acme", state: "none" });
  });

  it("Renew now says that ACME is off; only owners and admins may ask", async () => {
    await signInForActions(fixture.user("developer"));
    expect(await renewCertificateAction({}, formData({ domainId }))).toMatchObject({
      message: expect.stringContaining("(Developer) cannot renew certificates"),
    });
    await signInForActions(fixture.user("owner"));
    expect(await renewCertificateAction({}, formData({ domainId }))).toMatchObject({
      message: expect.stringContaining("ACME_DIRECTORY_URL and ACME_EMAIL"),
    });
  });

  it("redirect HTTP to HTTPS: admin only, stored and audited", async () => {
    const production = await environmentRow(fixture.app, "Production");
    await signInForActions(fixture.user("developer"));
    expect(await setRedirectHttpsAction({}, formData({ environmentId: production.id, on: "true" }))).toMatchObject({
      message: expect.stringContaining("(Developer) cannot change the HTTPS redirect"),
    });
    await signInForActions(stranger.user("owner"));
    expect(await setRedirectHttpsAction({}, formData({ environmentId: production.id, on: "true" }))).toMatchObject({
      message: NOT_FOUND_MESSAGE,
    });
    await signInForActions(fixture.user("admin"));
    expect(await setRedirectHttpsAction({}, formData({ environmentId: production.id, on: "true" }))).toMatchObject({ ok: true });
    expect((await httpsStateFor([production.id])).get(production.id)?.redirectHttps).toBe(true);
    const audit = await listAuditEvents({ accountId: fixture.app.accountId, kind: "environment.redirect-https" });
    expect(audit.rows.map((a) => [a.actorName, a.data])).toEqual([["Admin", { on: true }]]);
  });
});
