// A benchmark section run on its own (`./skiff node bench/<name>.ts`), with the local test site up.
import { startTestSite, type TestSite } from "../test/fixtures/site/test-site.ts";

export async function aloneWithSite(run: (site: TestSite) => Promise<void>): Promise<void> {
  const site = await startTestSite();
  try {
    await run(site);
  } finally {
    await site.close();
  }
}
