import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorMessageForZod, scrapeRequestSchema } from "../scrape-request.ts";

function urlOf(url: unknown): string {
  return scrapeRequestSchema.parse({ url }).url;
}

function urlError(url: unknown) {
  const result = scrapeRequestSchema.safeParse({ url });
  assert.equal(result.success, false, `expected ${String(url)} to be rejected`);
  return { message: errorMessageForZod(result.error), issues: result.error.issues };
}

const NO_TLD = "URL must have a valid top-level domain or be an IP address";

describe("scrape request url", () => {
  it("keeps an http(s) URL as sent", () => {
    assert.equal(urlOf("https://example.com/a?b=c#d"), "https://example.com/a?b=c#d");
    assert.equal(urlOf("HTTP://Example.com"), "HTTP://Example.com");
  });

  it("prepends http:// when no scheme is given", () => {
    assert.equal(urlOf("example.com"), "http://example.com");
    assert.equal(urlOf("example.com/path:with-colon"), "http://example.com/path:with-colon");
  });

  it("is required and must be a string", () => {
    assert.equal(urlError(undefined).message, "Bad Request");
    const { issues } = urlError(42);
    assert.equal(issues[0]?.code, "invalid_type");
  });

  it("rejects ftp:// with the protocol message, as a format issue rather than a custom one", () => {
    const { message, issues } = urlError("ftp://example.com/file");
    assert.equal(issues[0]?.code, "invalid_format");
    assert.equal(issues[0]?.message, "URL uses unsupported protocol");
    assert.equal(message, "Bad Request");
  });

  it("rejects a host without a top-level domain", () => {
    assert.equal(urlError("not-a-url").message, NO_TLD);
    assert.equal(urlError("https://intranet/page").message, NO_TLD);
    assert.equal(urlError("https://example.c").message, NO_TLD);
  });

  it("rejects localhost for lack of a top-level domain", () => {
    assert.equal(urlError("http://localhost:3000").message, NO_TLD);
  });

  it("checks the host, not a dotted path, for the top-level domain", () => {
    assert.equal(urlError("http://localhost/index.html").message, NO_TLD);
  });

  it("accepts IPv4 literals, including single-digit last octets", () => {
    assert.equal(urlOf("http://8.8.8.8"), "http://8.8.8.8");
    assert.equal(urlOf("93.184.216.34:8080/x"), "http://93.184.216.34:8080/x");
  });

  it("rejects IPv6 literals with Invalid URL, as Firecrawl's checkUrl does", () => {
    assert.equal(urlError("http://[2001:db8::1]/").message, "Invalid URL");
  });

  it("accepts ports, long TLDs and punycode hosts", () => {
    assert.equal(urlOf("https://example.com:8443/"), "https://example.com:8443/");
    assert.equal(urlOf("https://shop.example.museum"), "https://shop.example.museum");
    assert.equal(urlOf("https://пример.рф"), "https://пример.рф");
  });

  it("rejects credentials with Invalid URL, as Firecrawl's checkUrl does", () => {
    assert.equal(urlError("http://user:secret@example.com/").message, "Invalid URL");
  });

  it("rejects a doubled scheme", () => {
    const { issues } = urlError("http://http://example.com");
    assert.ok(issues.some((issue) => issue.message === "Invalid URL"));
  });

  it("rejects strings the URL parser refuses", () => {
    const { issues } = urlError("http://exa mple.com");
    assert.equal(issues[0]?.code, "invalid_format");
  });
});
