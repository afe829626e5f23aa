// The Store contract on Postgres, on a throwaway cluster (test/helpers/throwaway-postgres.ts).
// Without Postgres installed the file says so and skips; SKIFF_REQUIRE_POSTGRES=1 (CI) fails instead.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { startThrowawayPostgres } from "../../test/helpers/throwaway-postgres.ts";
import { PgDb } from "./pg-db.ts";
import { PG_MIGRATIONS } from "./pg-schema.ts";
import { PostgresStore } from "./postgres-store.ts";
import { storeContract } from "./store-contract.ts";

const cluster = startThrowawayPostgres();

if (!cluster) {
  const why = "Postgres is not installed (./skiff installs it as root; CI requires it)";
  console.warn(`SKIPPED: the Postgres store contract: ${why}`);
  void it.skip(`PostgresStore: ${why}`);
} else {
  after(() => cluster.stop());
  storeContract("PostgresStore", async () => PostgresStore.open(await cluster.createDatabase()));

  describe("PostgresStore shared by two nodes", () => {
    it("serves from one handle the exact bytes of a file saved through another", async () => {
      const url = await cluster.createDatabase();
      const [writer, reader] = await Promise.all([
        PostgresStore.open(url),
        PostgresStore.open(url),
      ]);
      try {
        const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x00, 0x0d, 0x0a]);
        const expiresAt = Date.now() + 60_000;
        await writer.insertFile({
          token: "f.pdf",
          teamId: "t",
          contentType: "application/pdf",
          bytes,
          expiresAt,
        });
        assert.ok((await reader.getFile("f.pdf"))?.bytes.equals(bytes));
        assert.equal(await reader.deleteExpiredFiles(expiresAt), 1);
        assert.equal(await writer.getFile("f.pdf"), undefined);
      } finally {
        await Promise.all([writer.close(), reader.close()]);
      }
    });
  });

  describe("PostgresStore migrations", () => {
    it("run once when several nodes start at the same moment", async () => {
      const url = await cluster.createDatabase();
      const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open(url)));
      await Promise.all(stores.map((s) => s.close()));
      const db = await PgDb.connect(url);
      try {
        const rows = await db.query<{ version: number }>(
          "SELECT version FROM schema_migrations ORDER BY version",
        );
        assert.deepEqual(
          rows.map((r) => r.version),
          PG_MIGRATIONS.map((_, i) => i + 1),
        );
      } finally {
        await db.close();
      }
    });
  });
}
