import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pino } from "pino";
import { createHostLogger, parseHostLogLine } from "./host-log.ts";

/** A logger writing into an array, one parsed line each. */
function recorded(): { lines: Record<string, unknown>[]; write: (l: string) => void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) };
}

describe("the session host's logger", () => {
  it("writes pino's lines: the same fields, levels, messages and errors", () => {
    const host = recorded();
    const server = recorded();
    const ours = createHostLogger("debug", host.write);
    const theirs = pino({ level: "debug", base: { service: "skiff" } }, { write: server.write });
    const err = new TypeError("the worker broke");
    for (const log of [ours, theirs]) {
      log.info("session host connected");
      log.debug({ ms: 12, chromiumMs: 5 }, "session browser open");
      log.warn({ err }, "node runtime worker error");
      log.error(err);
    }
    const withoutTime = (lines: Record<string, unknown>[]) =>
      lines.map(({ time, ...rest }) => {
        assert.equal(typeof time, "number");
        return rest;
      });
    assert.deepEqual(withoutTime(host.lines), withoutTime(server.lines));
  });

  it("drops what is below its level, and logs nothing at silent", () => {
    const info = recorded();
    const log = createHostLogger("info", info.write);
    log.debug("not this");
    log.info("this");
    log.error({ n: 1 }, "and this");
    assert.deepEqual(
      info.lines.map((l) => [l.level, l.msg]),
      [
        [30, "this"],
        [50, "and this"],
      ],
    );
    const silent = recorded();
    createHostLogger("silent", silent.write).error("nothing");
    assert.deepEqual(silent.lines, []);
  });

  it("refuses a level it does not know", () => {
    assert.throws(() => createHostLogger("loud"), /unknown log level "loud"/);
  });

  it("is read back by the server at the host's level, with the host's fields", () => {
    const host: string[] = [];
    const log = createHostLogger("debug", (line) => host.push(line.trimEnd()));
    log.warn({ code: 9 }, "the session's browser exited; the host exits");
    log.error(new TypeError("the worker broke"));
    log.debug("session host heap trimmed");
    const [warned, failed, trimmed] = host.map(parseHostLogLine);
    assert.deepEqual(warned, {
      level: "warn",
      fields: { code: 9 },
      msg: "the session's browser exited; the host exits",
    });
    assert.equal(failed?.level, "error");
    assert.equal((failed?.fields.err as { type: string }).type, "TypeError");
    assert.equal(failed?.msg, "the worker broke");
    assert.equal(trimmed?.level, "debug");
    for (const other of ["plain text", "{not json", '{"level":35,"msg":"?"}', "[1]", "null"]) {
      assert.equal(parseHostLogLine(other), undefined, other);
    }
  });
});
