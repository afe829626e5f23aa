import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gitDiff, markdownChanged } from "./change-diff.ts";

describe("markdownChanged", () => {
  it("ignores whitespace, iframe links and the order of characters", () => {
    assert.equal(markdownChanged("# A\n\nPrice: 9", "#  A\nPrice:\t9\n"), false);
    assert.equal(markdownChanged("x [iframe](https://a.test/1) y", "x y"), false);
    assert.equal(markdownChanged("ab\ncd", "cd\nab"), false, "moved lines are the same");
  });

  it("sees a changed, added or removed character", () => {
    assert.equal(markdownChanged("Price: 9", "Price: 8"), true);
    assert.equal(markdownChanged("Price: 9", "Price: 99"), true);
    assert.equal(markdownChanged("", "x"), true);
  });
});

describe("gitDiff", () => {
  it("writes git's unified diff without file headers, and parse-diff's json", () => {
    const previous = "# Pricing\n\nStarter: $9/mo\nPro: $29/mo";
    const current = "# Pricing\n\nStarter: $12/mo\nPro: $29/mo";
    const diff = gitDiff(previous, current);
    assert.equal(
      diff?.text,
      "@@ -1,4 +1,4 @@\n # Pricing\n \n-Starter: $9/mo\n+Starter: $12/mo\n Pro: $29/mo\n\\ No newline at end of file\n",
    );
    assert.deepEqual(diff?.json, {
      files: [
        {
          from: null,
          to: null,
          chunks: [
            {
              content: "@@ -1,4 +1,4 @@",
              changes: [
                { type: "normal", content: " # Pricing", normal: true, ln1: 1, ln2: 1 },
                { type: "normal", content: " ", normal: true, ln1: 2, ln2: 2 },
                { type: "del", content: "-Starter: $9/mo", del: true, ln: 3 },
                { type: "add", content: "+Starter: $12/mo", add: true, ln: 3 },
                { type: "normal", content: " Pro: $29/mo", normal: true, ln1: 4, ln2: 4 },
                {
                  type: "normal",
                  content: "\\ No newline at end of file",
                  normal: true,
                  ln1: 4,
                  ln2: 4,
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it("leaves out a count of one and starts an empty side at 0, as git does", () => {
    assert.equal(
      gitDiff("my first string", "my second string")?.text,
      "@@ -1 +1 @@\n-my first string\n\\ No newline at end of file\n+my second string\n\\ No newline at end of file\n",
    );
    assert.match(gitDiff("", "new page")?.text ?? "", /^@@ -0,0 \+1 @@\n\+new page\n/);
  });

  it("makes one chunk per distant change, with three lines of context", () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const changed = lines.map((l, i) => (i === 1 || i === 17 ? `${l} edited` : l));
    const diff = gitDiff(lines.join("\n"), changed.join("\n"));
    const chunks = diff?.json.files[0]?.chunks ?? [];
    assert.deepEqual(
      chunks.map((c) => c.content),
      ["@@ -1,5 +1,5 @@", "@@ -15,6 +15,6 @@"],
    );
    const added = chunks.flatMap((c) => c.changes).filter((c) => c.type === "add");
    assert.deepEqual(
      added.map((c) => [c.ln, c.content]),
      [
        [2, "+line 2 edited"],
        [18, "+line 18 edited"],
      ],
    );
  });

  it("is undefined when nothing differs", () => {
    assert.equal(gitDiff("same", "same"), undefined);
  });
});
