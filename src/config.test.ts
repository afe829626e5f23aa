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
    assert.throws(
      () => loadConfig({ SESSION_WARM_POOL_MAX: "-1", SESSION_WARM_POOL_IDLE_SECONDS: "soon" }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /SESSION_WARM_POOL_MAX: /.test(err.message) &&
        /SESSION_WARM_POOL_IDLE_SECONDS: /.test(err.message),
    );
  });

  it("takes a Postgres URL only with the profile key and cluster secret every node must share", () => {
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
    const cluster = { DATABASE_URL: "postgresql://db/skiff", PROFILE_ENCRYPTION_KEY: key };
    assert.throws(() => loadConfig(cluster), named(/^CLUSTER_SECRET: required with DATABASE_URL/));
    assert.throws(
      () => loadConfig({ ...cluster, CLUSTER_SECRET: "short" }),
      named(/CLUSTER_SECRET: at least 32 characters/),
    );
    const secret = "cd".repeat(16);
    assert.throws(
      () => loadConfig({ ...cluster, CLUSTER_SECRET: secret, INTERNAL_HOST: "0.0.0.0" }),
      named(/^INTERNAL_URL: required when INTERNAL_HOST is 0.0.0.0/),
    );
    const config = loadConfig({ ...cluster, CLUSTER_SECRET: secret });
    assert.equal(config.DATABASE_URL, "postgresql://db/skiff");
    assert.equal(config.INTERNAL_PORT, 3003);
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
