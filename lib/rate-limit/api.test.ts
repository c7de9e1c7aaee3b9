import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetSettings } from "@/lib/config";
import { makeTempDataDir } from "@/lib/testing/temp-data-dir";
import { consumeApiRateLimit } from "./index";

describe("REST API rate limit per token", () => {
  let temp: ReturnType<typeof makeTempDataDir>;
  beforeAll(() => {
    temp = makeTempDataDir("ec-api-rate-");
    Object.assign(process.env, { RATE_LIMIT_API_PER_TOKEN: "3", RATE_LIMIT_API_WINDOW_SECONDS: "60" });
    resetSettings();
  });
  afterAll(() => {
    delete process.env.RATE_LIMIT_API_PER_TOKEN;
    delete process.env.RATE_LIMIT_API_WINDOW_SECONDS;
    resetSettings();
    temp.cleanup();
  });

  it("allows RATE_LIMIT_API_PER_TOKEN requests per window, then answers with the wait; other tokens are unaffected", async () => {
    for (let i = 0; i < 3; i++) expect(await consumeApiRateLimit(7)).toEqual({ ok: true });
    const refused = await consumeApiRateLimit(7);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.retryAfterSeconds).toBeGreaterThan(50);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(refused.message).toMatch(/at most 3 per 60 s/);
    expect(await consumeApiRateLimit(8)).toEqual({ ok: true });
  });
});
