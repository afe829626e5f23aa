import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assembleHighlights, splitUnits, unitLines } from "./highlights.ts";

/** The markdown Skiff makes of test/fixtures/pages/table-code.html. */
const RELEASE_NOTES = [
  "# Release notes",
  "",
  "| Version | Date | Highlights |",
  "| --- | --- | --- |",
  "| 2.1.0 | 2024-05-01 | Faster `parse()` |",
  "| 2.0.0 | 2024-01-15 | New API |",
  "",
  "Install it:",
  "",
  "```bash",
  "npm install tidekit",
  "```",
  "",
  "```typescript",
  'import { parse } from "tidekit";',
  "",
  "if (tide.level > 2) {",
  "  console.log(tide);",
  "}",
  "```",
].join("\n");

const linesOf = (markdown: string) => unitLines(splitUnits(markdown));
const pick = (markdown: string, picked: number[]) =>
  assembleHighlights(splitUnits(markdown), picked);

describe("splitUnits", () => {
  it("makes a unit of each heading, table row, text line and non-blank code line", () => {
    assert.deepEqual(linesOf(RELEASE_NOTES), [
      "# Release notes",
      "| Version | Date | Highlights |",
      "| 2.1.0 | 2024-05-01 | Faster `parse()` |",
      "| 2.0.0 | 2024-01-15 | New API |",
      "Install it:",
      "npm install tidekit",
      'import { parse } from "tidekit";',
      "if (tide.level > 2) {",
      "console.log(tide);",
      "}",
    ]);
    const units = splitUnits(RELEASE_NOTES);
    assert.deepEqual(
      units.map((u) => u.kind),
      ["heading", "table", "table", "table", "text", "code", "code", "code", "code", "code"],
    );
    assert.equal(units[1]?.isHeader, true);
  });

  it("cuts text into sentences, but not inside a link, and not past the line's end", () => {
    const markdown =
      "Tides rise. They fall! Why? See [the U.S. chart](https://x.test/a.b) now.\nNext line.";
    assert.deepEqual(linesOf(markdown), [
      "Tides rise.",
      "They fall!",
      "Why?",
      "See [the U.S. chart](https://x.test/a.b) now.",
      "Next line.",
    ]);
  });

  it("starts a new block at each list item; rules and blank lines are no units", () => {
    const units = splitUnits("- one\n- two\n\n---\n\ntext");
    assert.deepEqual(unitLines(units), ["- one", "- two", "text"]);
    assert.equal(new Set(units.map((u) => u.block)).size, 3);
  });

  it("finds nothing in an empty page", () => {
    assert.deepEqual(splitUnits(""), []);
    assert.deepEqual(splitUnits("\n\n  \n"), []);
  });
});

describe("assembleHighlights", () => {
  it("is empty for an empty pick", () => {
    assert.equal(pick(RELEASE_NOTES, []), "");
  });

  it("gives a table row with its table's header and separator", () => {
    assert.equal(
      pick(RELEASE_NOTES, [3]),
      "| Version | Date | Highlights |\n| --- | --- | --- |\n| 2.0.0 | 2024-01-15 | New API |",
    );
    assert.equal(
      pick(RELEASE_NOTES, [3, 1, 2]),
      pick(RELEASE_NOTES, [2, 3]),
      "a picked header row is not repeated",
    );
  });

  it("fences code lines with their block's language, keeping their indentation", () => {
    assert.equal(
      pick(RELEASE_NOTES, [8, 7]),
      "```typescript\nif (tide.level > 2) {\n  console.log(tide);\n```",
    );
    assert.equal(pick(RELEASE_NOTES, [5]), "```bash\nnpm install tidekit\n```");
  });

  it("keeps page order whatever the model's order, one blank line between blocks", () => {
    assert.equal(
      pick(RELEASE_NOTES, [5, 0, 4, 0]),
      "# Release notes\n\nInstall it:\n\n```bash\nnpm install tidekit\n```",
    );
  });

  it("rejoins a paragraph's sentences as the page had them; a skipped one leaves a space", () => {
    const markdown = "One. Two.\nThree. Four.";
    assert.equal(pick(markdown, [1, 2]), "Two.\nThree.");
    assert.equal(pick(markdown, [0, 3]), "One. Four.");
    assert.equal(pick(markdown, [0, 1, 2, 3]), markdown);
  });

  it("ignores numbers that are out of range or not whole", () => {
    assert.equal(pick("Only.", [-1, 1, 0.5, 99, 0]), "Only.");
  });
});
