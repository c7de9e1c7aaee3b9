import { describe, expect, it } from "vitest";
import { can, PERMISSIONS, type Permission } from "./permissions";

describe("permission table", () => {
  it("says in one sentence what each entry allows", () => {
    for (const entry of Object.values(PERMISSIONS)) expect(entry.allows).toMatch(/^[A-Z].+\.$/);
  });
  it("gives viewers read access only", () => {
    for (const permission of Object.keys(PERMISSIONS) as Permission[]) {
      expect(can("viewer", permission)).toBe(permission === "account.read");
    }
  });
  it("lets developers create applications but not manage members", () => {
    expect(can("developer", "application.create")).toBe(true);
    expect(can("developer", "domain.verify")).toBe(true);
    expect(can("developer", "members.manage")).toBe(false);
  });
  it("keeps account deletion and owner grants to owners", () => {
    expect(can("admin", "account.delete")).toBe(false);
    expect(can("admin", "owner.grant")).toBe(false);
    expect(can("owner", "account.delete")).toBe(true);
  });
  it("fails closed for unknown or missing roles", () => {
    expect(can("superuser", "account.read")).toBe(false);
    expect(can("", "account.read")).toBe(false);
    expect(can(null, "account.read")).toBe(false);
    expect(can("constructor", "account.read")).toBe(false);
  });
});

describe("forbiddenMessage", () => {
  it("names who can do it: owners only for owner-only rights", async () => {
    const { forbiddenMessage } = await import("./permissions");
    expect(forbiddenMessage("viewer", "delete the account", "account.delete")).toBe(
      "Your role in this account (Viewer) cannot delete the account. Ask an owner.",
    );
    expect(forbiddenMessage("developer", "invite members", "members.manage")).toMatch(/Ask an owner or admin\.$/);
  });
});
