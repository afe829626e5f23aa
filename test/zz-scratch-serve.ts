import { startSkiff } from "./helpers/skiff-harness.ts";
import { startTestSite } from "./fixtures/site/test-site.ts";
process.env.SKIFF_SCRATCH_CANARY = "canary-value";
const [server, site] = await Promise.all([
  startSkiff({ SANDBOX: "bwrap", SESSION_WARM_POOL: "1" }),
  startTestSite(),
]);
console.log(JSON.stringify({ api: server.url, site: site.url, dataDir: server.dataDir }));
setInterval(() => {}, 1 << 30);
