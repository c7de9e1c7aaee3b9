import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import type { HttpsStatus } from "@/lib/https/store";
import { HttpsPanel, RedirectHttpsPanel } from "./https-panel";

vi.mock("next/headers", async () => (await import("@/lib/testing/action-request")).nextHeadersMock);
vi.mock("next/cache", async () => (await import("@/lib/testing/action-request")).nextCacheMock);

// What the domain page's HTTPS panel and the environment's redirect panel say (docs/product.md §9), rendered to HTML.

const base: HttpsStatus = {
  hostname: "shop.example.com",
  source: "acme",
  state: "none",
  issuer: null,
  notBefore: null,
  notAfter: null,
  serial: null,
  sans: [],
  failureReason: null,
  failureStep: null,
  nextTryAt: null,
  attempts: 0,
  acmeEnabled: false,
  acmeOffMessage: "Automatic certificates are off on this console: the operator sets ACME_DIRECTORY_URL and ACME_EMAIL.",
  renewBlockedUntil: null,
};
const html = (status: HttpsStatus, canManage: boolean) =>
  renderToStaticMarkup(createElement(HttpsPanel, { domainId: 7, status, canManage }));

describe("HTTPS panel", () => {
  it("says that ACME is off and shows no buttons to a viewer", () => {
    const out = html(base, false);
    expect(out).toContain("No certificate yet");
    expect(out).toContain("ACME_DIRECTORY_URL");
    expect(out).not.toContain("Renew now");
    expect(out).not.toContain("private_key");
  });

  it("shows issuer and expiry, or the failure with its step and next try; admins get Renew now and the upload", () => {
    const issued = html(
      {
        ...base,
        acmeEnabled: true,
        acmeOffMessage: null,
        state: "issued",
        issuer: "R3",
        notAfter: new Date("2027-03-01T00:00:00Z"),
        serial: "0A",
        sans: ["shop.example.com"],
      },
      true,
    );
    expect(issued).toContain("Certificate issued");
    expect(issued).toContain("R3");
    expect(issued).toContain("2027-03-01");
    expect(issued).toContain("Renew now");
    expect(issued).toContain('name="private_key"');
    const failed = html(
      {
        ...base,
        acmeEnabled: true,
        acmeOffMessage: null,
        state: "failed",
        failureStep: "caa",
        failureReason: "CAA on example.com allows only digicert.com.",
        nextTryAt: new Date("2026-12-04T16:10:00Z"),
      },
      true,
    );
    expect(failed).toContain("CAA records:</span> CAA on example.com allows only digicert.com.");
    expect(failed).toContain("Next try: 2026-12-04");
    const own = html({ ...base, source: "custom", state: "issued", issuer: "Own CA" }, true);
    expect(own).toContain("(own certificate)");
    expect(own).toContain("Remove own certificate");
    expect(own).not.toContain("ACME_DIRECTORY_URL");
  });

  it("redirect panel: the state, and the switch for admins only", () => {
    const on = renderToStaticMarkup(createElement(RedirectHttpsPanel, { environmentId: 3, on: true, canManage: true }));
    expect(on).toContain("redirected to HTTPS (308)");
    expect(on).toContain("Stop redirecting HTTP to HTTPS");
    const viewer = renderToStaticMarkup(createElement(RedirectHttpsPanel, { environmentId: 3, on: false, canManage: false }));
    expect(viewer).toContain("served over HTTP");
    expect(viewer).not.toContain("<button");
  });
});
