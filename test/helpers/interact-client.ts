import assert from "node:assert/strict";
import Firecrawl from "@mendable/firecrawl-js";
import type { RunningSkiff } from "./skiff-harness.ts";
import type { TestSite } from "../fixtures/site/test-site.ts";

type Language = "node" | "bash" | "python";

/**
 * The official SDK as a user builds it for a self-hosted server (its URL, no key), with the two
 * steps every interact test starts with. `t` is what `useSkiffAndSite` fills in, read lazily.
 */
export function interactClient(t: { server: RunningSkiff; site: TestSite }) {
  const sdk = () => new Firecrawl({ apiUrl: t.server.url, apiKey: "" });
  /** Scrapes `path` on the test site and returns the scrape id to interact with. */
  const scrape = async (path: string): Promise<string> => {
    const doc = await sdk().scrape(`${t.site.url}${path}`, { formats: ["markdown"] });
    assert.ok(doc.metadata?.scrapeId, "the scrape has an id");
    return doc.metadata.scrapeId;
  };
  /** One interact call in `language`, with an optional timeout in seconds. */
  const run = (id: string, language: Language, code: string, timeout?: number) =>
    sdk().interact(id, { code, language, ...(timeout ? { timeout } : {}) });
  return { sdk, scrape, run };
}

/** The SDK throws on any status but 200; this returns what it threw (its status and message). */
export async function sdkError(
  work: Promise<unknown>,
): Promise<{ status?: number; message: string }> {
  try {
    await work;
  } catch (err) {
    return err as { status?: number; message: string };
  }
  assert.fail("expected the SDK to throw");
}

/**
 * The guide's profile login on the test site: a scrape of /login with the profile saved, the
 * form filled in an interact call, and the session stopped, which saves the profile.
 */
export async function logInToProfile(sdk: Firecrawl, siteUrl: string, name: string) {
  const login = await sdk.scrape(`${siteUrl}/login`, {
    formats: ["markdown"],
    profile: { name, saveChanges: true },
  });
  const id = String(login.metadata?.scrapeId);
  const filled = await sdk.interact(id, {
    code: `await page.fill("#user", "ada");
      await Promise.all([page.waitForURL("**/dashboard"), page.click("#submit")]);
      await page.locator("h1").innerText()`,
  });
  assert.equal(filled.result, "Welcome back, ada", filled.error);
  await sdk.stopInteraction(id);
}
