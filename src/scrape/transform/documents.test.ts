import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { AppError } from "../../errors.ts";
import type { PageCapture } from "../page-capture.ts";
import { parseContentType, transformDocument } from "./documents.ts";
import type { TransformOptions } from "./transform-capture.ts";

const helloPdf = readFileSync(new URL("../../../test/fixtures/pages/hello.pdf", import.meta.url));

function bodyCapture(contentType: string, body: Buffer): PageCapture {
  return { url: "https://files.example.com/doc", statusCode: 200, contentType, body };
}

function options(overrides: Partial<TransformOptions> = {}): TransformOptions {
  return {
    wants: { markdown: true, html: true, rawHtml: true, links: false, images: false },
    onlyMainContent: true,
    removeBase64Images: true,
    parsePdf: true,
    ...overrides,
  };
}

describe("transformDocument with text bodies", () => {
  it("fences JSON as is, and returns the text as rawHtml", async () => {
    const json = '{"name":"skiff","big":12345678901234567890}\n';
    const result = await transformDocument(
      bodyCapture("application/json; charset=utf-8", Buffer.from(json)),
      options(),
    );
    assert.equal(result.markdown, '```json\n{"name":"skiff","big":12345678901234567890}\n```');
    assert.equal(result.rawHtml, json);
    assert.equal(result.html, undefined);
    assert.deepEqual(result.metadata, {});
  });

  it("fences +json types, with a longer fence when the text holds backticks", async () => {
    const body = Buffer.from('{"md":"```x```"}');
    const result = await transformDocument(bodyCapture("application/ld+json", body), options());
    assert.equal(result.markdown, '````json\n{"md":"```x```"}\n````');
  });

  it("returns plain text as is, decoded with the declared charset", async () => {
    const body = Buffer.from("Caf\xe9 cr\xe8me\nline two\n", "latin1");
    const result = await transformDocument(
      bodyCapture('text/plain; charset="ISO-8859-1"', body),
      options(),
    );
    assert.equal(result.markdown, "Café crème\nline two\n");
  });

  it("decodes UTF-8 by default and drops a BOM", async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("naïve,csv\n")]);
    const result = await transformDocument(bodyCapture("text/csv", body), options());
    assert.equal(result.markdown, "naïve,csv\n");
  });

  it("returns empty links and images when they are requested", async () => {
    const wants = { markdown: false, html: false, rawHtml: false, links: true, images: true };
    const result = await transformDocument(
      bodyCapture("text/plain", Buffer.from("x")),
      options({ wants }),
    );
    assert.deepEqual(result, { metadata: {}, links: [], images: [] });
  });
});

describe("transformDocument with PDFs", () => {
  it("extracts the text of every page, joined by a blank line, with numPages and title", async () => {
    const result = await transformDocument(bodyCapture("application/pdf", helloPdf), options());
    assert.equal(result.markdown, "Hello from page one.\n\nSecond page says goodbye.");
    assert.deepEqual(result.metadata, { numPages: 2, title: "Hello PDF" });
    assert.equal(result.rawHtml, undefined);
  });

  it("stops after pdfMaxPages", async () => {
    const result = await transformDocument(
      bodyCapture("application/pdf", helloPdf),
      options({ pdfMaxPages: 1 }),
    );
    assert.equal(result.markdown, "Hello from page one.");
    assert.equal(result.metadata.numPages, 2);
  });

  it("sets metadata only when PDF parsing is off", async () => {
    const result = await transformDocument(
      bodyCapture("application/pdf", helloPdf),
      options({ parsePdf: false }),
    );
    assert.deepEqual(result, { metadata: { numPages: 2, title: "Hello PDF" } });
  });

  it("recognizes a PDF sent as application/octet-stream", async () => {
    const result = await transformDocument(
      bodyCapture("application/octet-stream", helloPdf),
      options(),
    );
    assert.match(result.markdown ?? "", /^Hello from page one\./);
  });
});

describe("transformDocument with other types", () => {
  it("rejects a binary type with SCRAPE_UNSUPPORTED_FILE_ERROR", async () => {
    const capture = bodyCapture("image/png", Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    await assert.rejects(transformDocument(capture, options()), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, "SCRAPE_UNSUPPORTED_FILE_ERROR");
      assert.equal(error.status, 500);
      assert.equal(error.message, "Scrape resulted in unsupported file: image/png");
      return true;
    });
  });
});

describe("parseContentType", () => {
  it("lowercases the type and reads a quoted or bare charset", () => {
    assert.deepEqual(parseContentType('Text/HTML; Charset="Shift_JIS"'), {
      mimeType: "text/html",
      charset: "Shift_JIS",
    });
    assert.deepEqual(parseContentType("application/pdf"), {
      mimeType: "application/pdf",
      charset: undefined,
    });
    assert.deepEqual(parseContentType(""), { mimeType: "", charset: undefined });
  });
});
