import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";

/** Waits for `check` to hold, looking every 50 ms; fails naming `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await delay(50);
  }
}
