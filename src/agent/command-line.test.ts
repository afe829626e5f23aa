import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBrowserCommand, splitWords } from "./command-line.ts";

function args(line: string): string[] {
  const parsed = parseBrowserCommand(line);
  assert.ok(parsed.ok, `expected '${line}' to be allowed: ${parsed.ok ? "" : parsed.reason}`);
  return parsed.args;
}

function refusal(line: string): string {
  const parsed = parseBrowserCommand(line);
  assert.ok(!parsed.ok, `expected '${line}' to be refused`);
  return parsed.reason;
}

describe("splitWords", () => {
  it("reads quotes and backslashes as a shell does, without expanding anything", () => {
    assert.deepEqual(splitWords(`fill @e3 "Ada Lovelace"`), ["fill", "@e3", "Ada Lovelace"]);
    assert.deepEqual(splitWords(`fill @e3 'a "b" c'`), ["fill", "@e3", 'a "b" c']);
    assert.deepEqual(splitWords(`fill @e3 "say \\"hi\\""`), ["fill", "@e3", 'say "hi"']);
    assert.deepEqual(splitWords(`type @e1 a\\ b`), ["type", "@e1", "a b"]);
    assert.deepEqual(splitWords(`fill @e1 "x | y; $(z)"`), ["fill", "@e1", "x | y; $(z)"]);
    assert.deepEqual(splitWords(`fill @e1 ""`), ["fill", "@e1", ""]);
  });

  it("refuses unquoted shell syntax and unclosed quotes", () => {
    for (const line of [
      "snapshot | head",
      "click @e1; rm -rf /",
      "get text a && ls",
      "x > f",
      "a $(b)",
      "a `b`",
      "a\nb",
    ]) {
      const out = splitWords(line);
      assert.ok(!Array.isArray(out), line);
      assert.match(out.reason, /Only one agent-browser command/);
    }
    assert.deepEqual(splitWords(`fill @e1 "open`), { reason: 'Unclosed " quote.' });
  });
});

describe("parseBrowserCommand", () => {
  it("takes the command with or without the leading agent-browser", () => {
    assert.deepEqual(args("agent-browser snapshot -i"), ["snapshot", "-i"]);
    assert.deepEqual(args("snapshot -i -c"), ["snapshot", "-i", "-c"]);
    assert.deepEqual(args("press Enter"), ["press", "Enter"]);
    assert.deepEqual(args("get text @e7"), ["get", "text", "@e7"]);
    assert.deepEqual(args("scroll down 500"), ["scroll", "down", "500"]);
    assert.deepEqual(args("mouse wheel -300"), ["mouse", "wheel", "-300"]);
    assert.deepEqual(args("tab list"), ["tab", "list"]);
  });

  it("refuses new tabs, other subcommands and connection flags", () => {
    assert.match(refusal("tab new"), /'tab new' is not available/);
    assert.match(refusal("tab 2"), /'tab 2' is not available/);
    assert.match(refusal("eval document.cookie"), /'eval' is not available/);
    assert.match(refusal("close --all"), /'close' is not available/);
    assert.match(refusal("connect 9222"), /'connect' is not available/);
    assert.match(refusal("get cdp-url"), /'get cdp-url' is not available/);
    assert.match(refusal("install"), /'install' is not available/);
    assert.match(refusal("snapshot --cdp 9222"), /'--cdp' is not allowed/);
    assert.match(refusal("click @e1 --session other"), /'--session' is not allowed/);
    assert.match(refusal("   "), /empty/);
  });

  it("lets open through with its target, for the caller's same-site check", () => {
    assert.deepEqual(parseBrowserCommand("open https://example.com/a"), {
      ok: true,
      args: ["open", "https://example.com/a"],
      navigatesTo: "https://example.com/a",
    });
    assert.match(refusal("open"), /exactly one URL/);
  });
});
