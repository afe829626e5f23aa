// The behaviour every Store must show. SQLite runs it now; a Postgres store will run the same.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { accountsContract } from "./accounts-contract.ts";
import { changeHistoryContract } from "./change-history-contract.ts";
import { limitsContract } from "./limits-contract.ts";
import { nodesContract } from "./nodes-contract.ts";
import { queueContract } from "./queue-contract.ts";
import type { SessionRow, Store } from "./store.ts";

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

export function sessionRow(overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    id: uniqueId("session"),
    teamId: "team-a",
    scrapeId: uniqueId("scrape"),
    status: "active",
    createdAt: 1_000,
    lastActivityAt: 1_000,
    usedPrompt: false,
    ownerPid: 4242,
    hostPid: null,
    endedAt: null,
    endReason: null,
    durationMs: null,
    creditsBilled: null,
    egress: null,
    profileWriter: null,
    nodeId: null,
    ...overrides,
  };
}

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`${name}: the Store contract`, () => {
    let store: Store;
    before(async () => (store = await open()));
    after(async () => store.close());

    it("keeps a scrape and its exact document bytes", async () => {
      const id = uniqueId("scrape");
      const documentJson = '{"markdown":"# é","metadata":{"b":1,"a":2}}';
      await store.insertScrape({
        id,
        teamId: "t",
        url: "https://x.test/",
        options: { waitFor: 5 },
        documentJson,
        createdAt: 7,
      });
      const row = await store.getScrape(id);
      assert.equal(row?.documentJson, documentJson);
      assert.deepEqual(row?.options, { waitFor: 5 });
      assert.equal(row?.egress, null, "no browser, no bytes");
      assert.equal(await store.getScrape("missing"), undefined);
    });

    it("keeps a zero-data-retention scrape with nothing but its id and team", async () => {
      const id = uniqueId("zdr");
      await store.insertScrape({
        id,
        teamId: "t",
        url: null,
        options: null,
        documentJson: null,
        createdAt: 1,
      });
      const row = await store.getScrape(id);
      assert.deepEqual([row?.url, row?.options, row?.documentJson], [null, null, null]);
    });

    it("serves cache entries no older than asked, the newest replacing the old", async () => {
      const key = uniqueId("key");
      await store.putCached(key, { url: "u", documentJson: "{}", cachedAt: 100 });
      assert.equal((await store.getCached(key, 50))?.cachedAt, 100);
      assert.equal(await store.getCached(key, 101), undefined);
      await store.putCached(key, { url: "u", documentJson: '{"v":2}', cachedAt: 200 });
      assert.equal((await store.getCached(key, 150))?.documentJson, '{"v":2}');
    });

    it("keeps a file's exact bytes until it expires and is swept", async () => {
      const token = uniqueId("file");
      const bytes = Buffer.from([0x89, 0x50, 0x00, 0x00, 0xff, 0x0a, 0x00, 0x1a, 0x80, 0x00]);
      await store.insertFile({
        token,
        teamId: "t",
        contentType: "image/png",
        bytes,
        expiresAt: 10,
      });
      const row = await store.getFile(token);
      assert.equal(row?.contentType, "image/png");
      assert.ok(Buffer.isBuffer(row?.bytes) && row.bytes.equals(bytes), "byte for byte");
      assert.equal(await store.deleteExpiredFiles(9), 0, "not yet expired");
      assert.ok((await store.getFile(token))?.bytes.equals(bytes));
      assert.equal(await store.deleteExpiredFiles(10), 1);
      assert.equal(await store.getFile(token), undefined);
      assert.equal(await store.deleteExpiredFiles(11), 0, "swept once");
    });

    it("finds a session by its scrape, whatever its status", async () => {
      const row = sessionRow();
      await store.insertSession(row);
      assert.deepEqual(await store.getSessionByScrape(row.scrapeId ?? ""), row);
    });

    it("gives a scrape one session: of 8 inserts at once for it, exactly one is written", async () => {
      const first = sessionRow();
      const rivals = Array.from({ length: 8 }, (_, i) => ({
        ...first,
        id: i === 0 ? first.id : uniqueId("session"),
        nodeId: `node-${i}`,
      }));
      const inserted = await Promise.all(rivals.map((row) => store.insertSession(row)));
      assert.equal(inserted.filter(Boolean).length, 1);
      const winner = rivals[inserted.indexOf(true)];
      assert.equal((await store.getSessionByScrape(first.scrapeId ?? ""))?.nodeId, winner?.nodeId);
    });

    it("discards a session that never started, but never an ended one", async () => {
      const failed = sessionRow();
      await store.insertSession(failed);
      await store.discardSession(failed.id);
      assert.equal(await store.getSession(failed.id), undefined);
      assert.equal(await store.insertSession({ ...failed, id: uniqueId("session") }), true);
      const ended = sessionRow();
      await store.insertSession(ended);
      const end = { endedAt: 9, reason: "deleted" as const, durationMs: 8, creditsBilled: 2 };
      await store.claimSessionEnded(ended.id, end);
      await store.discardSession(ended.id);
      assert.equal((await store.getSession(ended.id))?.status, "destroyed");
    });

    it("lets exactly one caller claim a session's end, and records it", async () => {
      const row = sessionRow();
      await store.insertSession(row);
      const end = {
        endedAt: 5_000,
        reason: "deleted" as const,
        durationMs: 4_000,
        creditsBilled: 2,
      };
      const claims = await Promise.all([
        store.claimSessionEnded(row.id, end),
        store.claimSessionEnded(row.id, { ...end, reason: "ttl" }),
      ]);
      assert.deepEqual(claims.sort(), [false, true]);
      const stored = await store.getSessionByScrape(row.scrapeId ?? "");
      assert.equal(stored?.status, "destroyed");
      assert.equal(stored?.creditsBilled, 2);
      assert.equal(stored?.egress, null);
      assert.equal(await store.claimSessionEnded(row.id, end), false);
    });

    it("keeps the bytes a scrape and a session moved through the egress proxy", async () => {
      const id = uniqueId("scrape");
      const egress = { bytesIn: 1234, bytesOut: 56 };
      await store.insertScrape({
        id,
        teamId: "t",
        url: "https://x.test/",
        options: {},
        documentJson: "{}",
        createdAt: 1,
        egress,
      });
      assert.deepEqual((await store.getScrape(id))?.egress, egress);
      const row = sessionRow();
      await store.insertSession(row);
      const end = { endedAt: 9, reason: "deleted" as const, durationMs: 8, creditsBilled: 2 };
      await store.claimSessionEnded(row.id, { ...end, egress });
      assert.deepEqual((await store.getSessionByScrape(row.scrapeId ?? ""))?.egress, egress);
    });

    it("keeps a profile per team and name, replacing it whole", async () => {
      const team = uniqueId("team");
      const row = {
        teamId: team,
        name: "shop",
        sealed: Buffer.from([1, 2, 3]),
        size: 3,
        updatedAt: 5,
      };
      await store.putProfile(row);
      await store.putProfile({ ...row, sealed: Buffer.from([9]), size: 1, updatedAt: 6 });
      const stored = await store.getProfile(team, "shop");
      assert.deepEqual(stored?.sealed, Buffer.from([9]));
      assert.equal(await store.getProfile("other-team", "shop"), undefined);
      assert.deepEqual(await store.listProfiles(team), [
        { teamId: team, name: "shop", size: 1, updatedAt: 6 },
      ]);
      assert.equal(await store.deleteProfile(team, "shop"), true);
      assert.equal(await store.deleteProfile(team, "shop"), false);
    });

    it("gives a profile's writer lease to one holder until it is released or expires", async () => {
      const team = uniqueId("team");
      assert.equal(await store.acquireProfileWriter(team, "p", "s1", 0, 1000), true);
      assert.equal(await store.acquireProfileWriter(team, "p", "s2", 10, 1010), false);
      assert.equal(await store.acquireProfileWriter(team, "p", "s1", 20, 1020), true, "renewal");
      assert.equal(await store.acquireProfileWriter(team, "other", "s2", 20, 1020), true);
      await store.releaseProfileWriter(team, "p", "s2");
      assert.equal(await store.acquireProfileWriter(team, "p", "s2", 30, 1030), false);
      assert.equal(await store.acquireProfileWriter(team, "p", "s2", 1020, 2000), true, "expired");
      await store.releaseProfileWriter(team, "p", "s2");
      assert.equal(await store.acquireProfileWriter(team, "p", "s3", 1030, 2030), true);
    });

    it("finds a session by id, and lists a team's sessions by status", async () => {
      const team = uniqueId("team");
      const live = sessionRow({ teamId: team, scrapeId: null, createdAt: 2 });
      const gone = sessionRow({ teamId: team, scrapeId: null, createdAt: 1 });
      await store.insertSession(live);
      await store.insertSession(gone);
      await store.claimSessionEnded(gone.id, {
        endedAt: 3,
        reason: "deleted",
        durationMs: 2,
        creditsBilled: 2,
      });
      assert.equal((await store.getSession(live.id))?.id, live.id);
      assert.equal(await store.getSession("missing"), undefined);
      const ids = async (status?: "active" | "destroyed") =>
        (await store.listSessions(team, status)).map((r) => r.id);
      assert.deepEqual(await ids(), [live.id, gone.id]);
      assert.deepEqual(await ids("active"), [live.id]);
      assert.deepEqual(await ids("destroyed"), [gone.id]);
      assert.deepEqual(await store.listSessions("nobody"), []);
    });

    it("moves activity only forward, and remembers that a prompt was used", async () => {
      const row = sessionRow();
      await store.insertSession(row);
      await store.touchSession(row.id, 3_000, { usedPrompt: true });
      await store.touchSession(row.id, 2_000);
      const stored = await store.getSessionByScrape(row.scrapeId ?? "");
      assert.equal(stored?.lastActivityAt, 3_000);
      assert.equal(stored?.usedPrompt, true);
    });

    it("lists active sessions only, with their host pids", async () => {
      const live = sessionRow();
      const gone = sessionRow();
      await store.insertSession(live);
      await store.insertSession(gone);
      await store.setSessionHostPid(live.id, 776, live.lastActivityAt + 5_000);
      await store.setSessionHostPid(live.id, 777, 0); // a time before it: activity stays
      await store.claimSessionEnded(gone.id, {
        endedAt: 2,
        reason: "idle",
        durationMs: 1,
        creditsBilled: 2,
      });
      const active = await store.listActiveSessions();
      assert.equal(active.find((s) => s.id === live.id)?.hostPid, 777);
      assert.equal(
        active.find((s) => s.id === live.id)?.lastActivityAt,
        live.lastActivityAt + 5_000,
        "the time its host had started by",
      );
      assert.equal(
        active.some((s) => s.id === gone.id),
        false,
      );
    });

    accountsContract(() => store, sessionRow);
    queueContract(() => store);
    limitsContract(() => store);
    nodesContract(() => store);
    changeHistoryContract(() => store);
  });
}
