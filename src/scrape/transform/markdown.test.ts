import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { removeBase64Images, renderMarkdown } from "./markdown.ts";

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/pages/${name}`, import.meta.url), "utf8");

describe("renderMarkdown", () => {
  it("renders a GFM table", () => {
    const markdown = renderMarkdown(fixture("table-code.html"), { removeBase64Images: true });
    const table = [
      "| Version | Date | Highlights |",
      "| --- | --- | --- |",
      "| 2.1.0 | 2024-05-01 | Faster `parse()` |",
      "| 2.0.0 | 2024-01-15 | New API |",
    ].join("\n");
    assert.ok(markdown.includes(table), markdown);
  });

  it("renders fenced code blocks with their language and decoded entities", () => {
    const markdown = renderMarkdown(fixture("table-code.html"), { removeBase64Images: true });
    assert.ok(markdown.includes("```bash\nnpm install tidekit\n```"));
    assert.ok(
      markdown.includes(
        '```typescript\nimport { parse } from "tidekit";\nconst tide = parse("high < low");\n',
      ),
    );
    assert.ok(markdown.includes("if (tide.level > 2) {\n  console.log(tide);\n}\n```"));
    assert.ok(markdown.includes("```\nplain block without a language\n```"));
  });

  it("resolves relative links and images against the full base URL", () => {
    const html =
      '<p><a href="../a">up</a> <a href="b?x=1#f">here</a> <a href="/c">root</a> <img src="i.png" alt="i"></p>';
    const markdown = renderMarkdown(html, {
      baseUrl: "https://ex.com/x/y/",
      removeBase64Images: true,
    });
    assert.equal(
      markdown,
      "[up](https://ex.com/x/a) [here](https://ex.com/x/y/b?x=1#f) [root](https://ex.com/c) ![i](https://ex.com/x/y/i.png)",
    );
  });

  it("replaces base64 image sources with Firecrawl's placeholder", () => {
    const markdown = renderMarkdown(fixture("base64-image.html"), { removeBase64Images: true });
    assert.ok(markdown.includes("A pixel: ![red pixel](<Base64-Image-Removed>)"), markdown);
    assert.ok(
      markdown.includes('An SVG: ![svg \\[icon\\]](<Base64-Image-Removed> "Icon")'),
      markdown,
    );
    assert.ok(markdown.includes("![real](/img/real.png)"));
    assert.ok(!markdown.includes("base64,"));
  });

  it("keeps base64 images when asked to", () => {
    const markdown = renderMarkdown(fixture("base64-image.html"), { removeBase64Images: false });
    assert.ok(markdown.includes("![red pixel](data:image/png;base64,iVBORw0KGgo"));
    assert.ok(!markdown.includes("Base64-Image-Removed"));
  });
});

describe("removeBase64Images", () => {
  it("leaves links to data URIs and non-base64 data images alone", () => {
    const markdown = "[file](data:image/png;base64,AAAA) ![svg](data:image/svg+xml,%3Csvg%3E)";
    assert.equal(removeBase64Images(markdown), markdown);
  });

  it("handles angle-bracketed sources", () => {
    assert.equal(
      removeBase64Images("![a](<data:image/gif;base64,R0 lG>)"),
      "![a](<Base64-Image-Removed>)",
    );
  });
});
