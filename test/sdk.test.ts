// The official Firecrawl JS SDK, unchanged, against Skiff and the local test site.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Firecrawl from "@mendable/firecrawl-js";
import { useSkiffAndSite } from "./helpers/skiff-harness.ts";

const t = useSkiffAndSite();
/** The SDK exactly as a user builds it for a self-hosted server: its URL, no key. */
const sdk = () => new Firecrawl({ apiUrl: t.server.url, apiKey: "" });

describe("@mendable/firecrawl-js", () => {
  it("scrapes markdown and links, with metadata.scrapeId", async () => {
    const doc = await sdk().scrape(`${t.site.url}/article`, { formats: ["markdown", "links"] });
    assert.match(doc.markdown ?? "", /known content/);
    assert.ok(doc.links?.includes(`${t.site.url}/form`));
    assert.match(doc.metadata?.scrapeId ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(doc.metadata?.title, "Skiff Test Article");
    assert.equal(doc.metadata?.statusCode, 200);
  });

  it("runs actions and returns a screenshot URL", async () => {
    const doc = await sdk().scrape(`${t.site.url}/form`, {
      formats: ["markdown", { type: "screenshot", fullPage: true }],
      actions: [
        { type: "click", selector: "#text" },
        { type: "write", text: "from the sdk" },
        { type: "press", key: "Enter" },
      ],
    });
    assert.match(doc.markdown ?? "", /You typed: from the sdk/);
    const shot = await fetch(doc.screenshot ?? "");
    assert.equal(shot.headers.get("content-type"), "image/png");
  });

  it("a malformed request surfaces as an SdkError with the server's message", async () => {
    await assert.rejects(
      sdk().scrape(`${t.site.url}/article`, { waitFor: 5000, timeout: 6000 }),
      (e: Error & { status?: number; code?: string; details?: unknown }) => {
        assert.equal(e.name, "FirecrawlSdkError");
        assert.equal(e.message, "waitFor must not exceed half of timeout");
        assert.equal(e.status, 400);
        assert.equal(e.code, "BAD_REQUEST");
        assert.ok(Array.isArray(e.details));
        return true;
      },
    );
  });

  it("a DNS failure (200, success:false) is thrown with its message", async () => {
    await assert.rejects(sdk().scrape("http://nothing-here.invalid/"), (e: Error) => {
      assert.match(e.message, /DNS resolution failed for hostname: nothing-here\.invalid/);
      return true;
    });
  });
});
