import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadClientConfig, loadConfig } from "./config.ts";

describe("config", () => {
  it("stops with a message naming each bad setting", () => {
    assert.throws(
      () => loadConfig({ PORT: "70000", AUTH: "maybe" }),
      (err: unknown) =>
        err instanceof ConfigError && /PORT: /.test(err.message) && /AUTH: /.test(err.message),
    );
  });

  it("takes a Postgres URL only with the profile key every node must share", () => {
    const named = (pattern: RegExp) => (err: unknown) =>
      err instanceof ConfigError && pattern.test(err.message);
    assert.throws(
      () => loadConfig({ DATABASE_URL: "mysql://db/skiff" }),
      named(/DATABASE_URL: a postgres:\/\/ or postgresql:\/\/ URL/),
    );
    assert.throws(
      () => loadConfig({ DATABASE_URL: "postgresql://db/skiff" }),
      named(/^PROFILE_ENCRYPTION_KEY: required with DATABASE_URL/),
    );
    const key = "ab".repeat(32);
    const config = loadConfig({
      DATABASE_URL: "postgresql://db/skiff",
      PROFILE_ENCRYPTION_KEY: key,
    });
    assert.equal(config.DATABASE_URL, "postgresql://db/skiff");
    assert.throws(() => loadConfig({ NODE_DEAD_AFTER_MS: "10" }), named(/NODE_DEAD_AFTER_MS: /));
    assert.throws(
      () => loadConfig({ JOB_RETENTION_SECONDS: "0" }),
      named(/JOB_RETENTION_SECONDS: /),
    );
  });

  it("gives a client (./skiff admin) its settings without looking for a browser", () => {
    const env = { PORT: "4000", ADMIN_API_KEY: "0123456789abcdef", CHROME_PATH: "/nowhere/chrome" };
    assert.throws(() => loadConfig(env), /CHROME_PATH: no file at \/nowhere\/chrome/);
    assert.deepEqual(loadClientConfig(env), { PORT: 4000, ADMIN_API_KEY: "0123456789abcdef" });
    assert.throws(() => loadClientConfig({ ADMIN_API_KEY: "short" }), /ADMIN_API_KEY: at least 16/);
  });
});
