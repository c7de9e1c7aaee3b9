import { describe, expect, it } from "vitest";
import { summariseEnvironment } from "./summary";

describe("summariseEnvironment", () => {
  it("is Live when every domain is live", () => {
    expect(summariseEnvironment(["live", "live"])).toMatchObject({ status: "live", label: "Live" });
  });
  it("counts a partly live environment", () => {
    expect(summariseEnvironment(["live", "pending", "nxdomain"]).label).toBe("Partly live (1/3)");
  });
  it("takes the most urgent status otherwise", () => {
    expect(summariseEnvironment(["pending", "nxdomain"]).status).toBe("nxdomain");
    expect(summariseEnvironment(["error", "misconfigured"]).status).toBe("misconfigured");
    expect(summariseEnvironment(["pending"]).label).toBe("Pending");
  });
  it("says No domains for an empty environment", () => {
    expect(summariseEnvironment([])).toMatchObject({ status: "none", label: "No domains" });
  });
});
