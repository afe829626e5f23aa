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

  it("gives a client (./skiff admin) its settings without looking for a browser", () => {
    const env = { PORT: "4000", ADMIN_API_KEY: "0123456789abcdef", CHROME_PATH: "/nowhere/chrome" };
    assert.throws(() => loadConfig(env), /CHROME_PATH: no file at \/nowhere\/chrome/);
    assert.deepEqual(loadClientConfig(env), { PORT: 4000, ADMIN_API_KEY: "0123456789abcdef" });
    assert.throws(() => loadClientConfig({ ADMIN_API_KEY: "short" }), /ADMIN_API_KEY: at least 16/);
  });
});
