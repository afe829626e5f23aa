import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorMessageForZod, scrapeRequestSchema } from "../scrape-request.ts";

const INVALID_COUNTRY = "Invalid country code. Use a valid ISO 3166-1 alpha-2 country code.";

function locationOf(location: unknown) {
  return scrapeRequestSchema.parse({ url: "https://example.com", location }).location;
}

function rejection(location: unknown) {
  const result = scrapeRequestSchema.safeParse({ url: "https://example.com", location });
  assert.equal(result.success, false, `expected ${JSON.stringify(location)} to be rejected`);
  return { message: errorMessageForZod(result.error), issues: result.error.issues };
}

describe("scrape request location", () => {
  it("is absent unless sent", () => {
    const parsed = scrapeRequestSchema.parse({ url: "https://example.com" });
    assert.equal(parsed.location, undefined);
  });

  it("lowercases a valid country and keeps languages", () => {
    assert.deepEqual(locationOf({ country: "US", languages: ["en", "es"] }), {
      country: "us",
      languages: ["en", "es"],
    });
    assert.deepEqual(locationOf({ country: "de" }), { country: "de" });
  });

  it("accepts any case, and the less common codes", () => {
    for (const country of ["Gb", "aq", "XK", "bq", "SS"]) {
      assert.equal(locationOf({ country })?.country, country.toLowerCase());
    }
  });

  it("accepts us-generic and us-whitelist in any case", () => {
    assert.equal(locationOf({ country: "us-generic" })?.country, "us-generic");
    assert.equal(locationOf({ country: "US-Whitelist" })?.country, "us-whitelist");
  });

  it("means us-generic when the country is missing or empty", () => {
    assert.deepEqual(locationOf({ languages: ["fr"] }), {
      country: "us-generic",
      languages: ["fr"],
    });
    assert.deepEqual(locationOf({ country: "" }), { country: "us-generic" });
  });

  it("rejects codes outside ISO 3166-1 alpha-2 with the custom message", () => {
    for (const country of ["INVALID", "XX", "UK", "usa", "us-east"]) {
      const { message, issues } = rejection({ country });
      assert.equal(message, INVALID_COUNTRY, country);
      assert.deepEqual(issues[0]?.path, ["location", "country"]);
    }
  });

  it("strips unknown keys inside location", () => {
    assert.deepEqual(locationOf({ country: "fr", city: "Paris" }), { country: "fr" });
  });

  it("rejects languages that are not strings", () => {
    assert.equal(rejection({ country: "fr", languages: "fr" }).message, "Bad Request");
  });
});
