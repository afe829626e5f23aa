// The Store contract for change-tracking snapshots (change-history.ts); storeContract runs it.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Store } from "./store.ts";

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

export function changeHistoryContract(store: () => Store): void {
  it("keeps a team's last markdown of a URL per tag, exactly, and only for that team", async () => {
    const [team, other] = [uniqueId("team"), uniqueId("team")];
    const url = "https://x.test/pricing?plan=pro";
    assert.equal(await store().lastSnapshot(team, url, ""), undefined);
    const markdown = "# Pricing\n\nPro: 29 €\n\n```js\nx = 1;\n```";
    await store().putSnapshot({ teamId: team, url, tag: "", markdown, scrapedAt: 1_000 });
    await store().putSnapshot({ teamId: team, url, tag: "daily", markdown: "d", scrapedAt: 1_500 });
    assert.deepEqual(await store().lastSnapshot(team, url, ""), {
      teamId: team,
      url,
      tag: "",
      markdown,
      scrapedAt: 1_000,
    });
    assert.equal((await store().lastSnapshot(team, url, "daily"))?.markdown, "d");
    assert.equal(await store().lastSnapshot(other, url, ""), undefined, "another team");
    assert.equal(await store().lastSnapshot(team, `${url}&x`, ""), undefined, "another URL");
  });

  it("replaces a snapshot with a newer one, never with an older one", async () => {
    const team = uniqueId("team");
    const at = (markdown: string, scrapedAt: number) =>
      store().putSnapshot({ teamId: team, url: "u", tag: "", markdown, scrapedAt });
    await at("first", 1_000);
    await at("second", 2_000);
    await at("late but older", 1_500);
    assert.equal((await store().lastSnapshot(team, "u", ""))?.markdown, "second");
    await at("same time, written last", 2_000);
    const last = await store().lastSnapshot(team, "u", "");
    assert.deepEqual([last?.markdown, last?.scrapedAt], ["same time, written last", 2_000]);
  });

  it("keeps one snapshot per key when many scrapes write at once", async () => {
    const team = uniqueId("team");
    const writes = Array.from({ length: 8 }, (_, i) =>
      store().putSnapshot({ teamId: team, url: "u", tag: "t", markdown: `v${i}`, scrapedAt: i }),
    );
    await Promise.all(writes);
    assert.equal((await store().lastSnapshot(team, "u", "t"))?.markdown, "v7");
  });
}
