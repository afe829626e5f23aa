// The Store contract for teams, API keys and the credit ledger; storeContract runs it.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { ApiKeyRow, LedgerEntry, SessionRow, Store } from "./store.ts";

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

function keyRow(teamId: string, overrides: Partial<ApiKeyRow> = {}): ApiKeyRow {
  const id = uniqueId("key");
  return {
    id,
    teamId,
    hash: `hash-${id}`,
    prefix: "fc-abcde",
    createdAt: 1,
    revokedAt: null,
    ...overrides,
  };
}

function grant(teamId: string, delta: number, ref = uniqueId("grant")): LedgerEntry {
  return { teamId, delta, reason: "grant", ref: `grant:${ref}`, createdAt: 1 };
}

const scrapeRow = (teamId: string, creditsUsed?: number) => ({
  id: uniqueId("scrape"),
  teamId,
  url: "https://x.test/",
  options: {},
  documentJson: "{}",
  createdAt: 3,
  ...(creditsUsed !== undefined && { creditsUsed }),
});

/** Registers the accounts tests inside a describe whose `before` fills in the store. */
export function accountsContract(
  store: () => Store,
  sessionRow: (overrides?: Partial<SessionRow>) => SessionRow,
): void {
  it("creates a team and finds it by id", async () => {
    const team = { id: uniqueId("team"), name: "Acme", createdAt: 10 };
    await store().createTeam(team);
    assert.deepEqual(await store().getTeam(team.id), team);
    assert.equal(await store().getTeam("missing"), undefined);
  });

  it("lists teams oldest first, each with what it was granted and what is left", async () => {
    const [a, b] = [uniqueId("team"), uniqueId("team")];
    await store().createTeam({ id: b, name: "B", createdAt: 200 });
    await store().createTeam({ id: a, name: "A", createdAt: 100 });
    await store().appendLedger(grant(a, 100));
    await store().appendLedger(grant(a, 50));
    await store().appendLedger({ ...grant(a, -30), reason: "scrape", ref: uniqueId("scrape:") });
    const listed = (await store().listTeams()).filter((t) => t.id === a || t.id === b);
    assert.deepEqual(listed, [
      { id: a, name: "A", createdAt: 100, granted: 150, remaining: 120 },
      { id: b, name: "B", createdAt: 200, granted: 0, remaining: 0 },
    ]);
  });

  it("finds a key by its hash until it is revoked, and lists a team's keys", async () => {
    const team = uniqueId("team");
    const first = keyRow(team, { createdAt: 1 });
    const second = keyRow(team, { createdAt: 2 });
    await store().insertApiKey(second);
    await store().insertApiKey(first);
    assert.deepEqual(await store().findApiKey(first.hash), first);
    assert.equal(await store().revokeApiKey(first.id, 50), true);
    assert.equal(await store().revokeApiKey(first.id, 60), false, "already revoked");
    assert.equal(await store().revokeApiKey("missing", 60), false);
    assert.equal(await store().findApiKey(first.hash), undefined);
    assert.equal((await store().findApiKey(second.hash))?.id, second.id);
    assert.deepEqual(await store().listApiKeys(team), [{ ...first, revokedAt: 50 }, second]);
    assert.deepEqual(await store().listApiKeys("nobody"), []);
  });

  it("refuses a second key with the same hash", async () => {
    const row = keyRow(uniqueId("team"));
    await store().insertApiKey(row);
    await assert.rejects(async () => {
      await store().insertApiKey({ ...row, id: uniqueId("key") });
    });
  });

  it("appends to the ledger once per ref, oldest first, and sums it exactly", async () => {
    const team = uniqueId("team");
    const first = grant(team, 1000, "one");
    assert.equal(await store().appendLedger(first), true);
    const charge: LedgerEntry = { ...first, delta: -7, reason: "scrape", ref: uniqueId("scrape:") };
    assert.equal(await store().appendLedger(charge), true);
    assert.equal(await store().appendLedger({ ...first, delta: 5 }), false, "duplicate ref");
    assert.deepEqual(await store().teamBalance(team), { granted: 1000, remaining: 993 });
    assert.deepEqual(await store().ledger(team), [first, charge]);
    assert.deepEqual(await store().teamBalance("nobody"), { granted: 0, remaining: 0 });
  });

  it("keeps credits whole: a fractional delta is refused", async () => {
    const team = uniqueId("team");
    await assert.rejects(async () => {
      await store().appendLedger(grant(team, 1.5));
    });
    assert.deepEqual(await store().ledger(team), []);
  });

  it("charges a scrape's credits with the scrape, and nothing for a free one", async () => {
    const team = uniqueId("team");
    const paid = scrapeRow(team, 5);
    await store().insertScrape(paid);
    await store().insertScrape(scrapeRow(team, 0));
    await store().insertScrape(scrapeRow(team));
    assert.equal((await store().getScrape(paid.id))?.creditsUsed, 5);
    assert.deepEqual(await store().ledger(team), [
      { teamId: team, delta: -5, reason: "scrape", ref: `scrape:${paid.id}`, createdAt: 3 },
    ]);
    assert.deepEqual(await store().teamBalance(team), { granted: 0, remaining: -5 });
  });

  it("stores a scrape and its charge together or not at all", async () => {
    const team = uniqueId("team");
    const paid = scrapeRow(team, 2);
    await store().insertScrape(paid);
    await assert.rejects(async () => {
      await store().insertScrape({ ...paid, creditsUsed: 4 });
    });
    const fractional = scrapeRow(team, 0.5);
    await assert.rejects(async () => {
      await store().insertScrape(fractional);
    });
    assert.equal(await store().getScrape(fractional.id), undefined);
    assert.deepEqual(
      (await store().ledger(team)).map((e) => e.delta),
      [-2],
    );
  });

  it("charges a session once, however many callers claim its end", async () => {
    const team = uniqueId("team");
    const row = sessionRow({ teamId: team });
    await store().insertSession(row);
    const end = { endedAt: 9, reason: "deleted" as const, durationMs: 8, creditsBilled: 3 };
    const claims = await Promise.all([
      store().claimSessionEnded(row.id, end),
      store().claimSessionEnded(row.id, { ...end, reason: "ttl" }),
    ]);
    assert.deepEqual(claims.sort(), [false, true]);
    assert.equal(await store().claimSessionEnded(row.id, end), false);
    assert.deepEqual(await store().ledger(team), [
      { teamId: team, delta: -3, reason: "session", ref: `session:${row.id}`, createdAt: 9 },
    ]);
  });

  it("writes no ledger line for a session that cost nothing", async () => {
    const team = uniqueId("team");
    const row = sessionRow({ teamId: team });
    await store().insertSession(row);
    const end = { endedAt: 9, reason: "crashed" as const, durationMs: 8, creditsBilled: 0 };
    assert.equal(await store().claimSessionEnded(row.id, end), true);
    assert.deepEqual(await store().ledger(team), []);
  });
}
