import { describe, expect, it } from "vitest";
import { blocksUser } from "@/lib/two-factor/requirement";
import { homePath } from "./home";

// `/` never sends a user to an account that blocks them (docs/product.md §3.2) while another one is usable.

const withTwoFactor = { totpEnabledAt: new Date("2026-01-01T00:00:00Z") };
const without = { totpEnabledAt: null };
const strict = { id: 1, requireTwoFactor: true };
const open = { id: 2, requireTwoFactor: false };
const other = { id: 3, requireTwoFactor: false };

describe("homePath", () => {
  it("sends a user without accounts to create one", () => {
    expect(homePath({ lastAccountId: null, ...without }, [])).toBe("/account/new");
  });

  it("opens the remembered account when usable, else the first usable one", () => {
    expect(homePath({ lastAccountId: 3, ...without }, [strict, open, other])).toBe("/account/3");
    expect(homePath({ lastAccountId: 1, ...without }, [strict, open, other])).toBe("/account/2");
    expect(homePath({ lastAccountId: null, ...without }, [strict, open])).toBe("/account/2");
    expect(homePath({ lastAccountId: 1, ...withTwoFactor }, [strict, open])).toBe("/account/1");
  });

  it("asks for two-factor authentication only when no account is usable, naming the remembered one", () => {
    const strict2 = { id: 4, requireTwoFactor: true };
    expect(homePath({ lastAccountId: 4, ...without }, [strict, strict2])).toBe("/settings/two-factor?required=4");
    expect(homePath({ lastAccountId: null, ...without }, [strict, strict2])).toBe("/settings/two-factor?required=1");
  });

  it("blocks only where two-factor authentication is required and off", () => {
    expect(blocksUser(strict, without)).toBe(true);
    expect(blocksUser(strict, withTwoFactor)).toBe(false);
    expect(blocksUser(open, without)).toBe(false);
  });
});
