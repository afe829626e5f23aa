import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import type { Store } from "../store/store.ts";
import { ActivityFlusher } from "./activity-flusher.ts";

type Touch = { id: string; at: number; usedPrompt: boolean };

/** The one store call the flusher makes, recorded; `failing` makes it throw. */
function recordingStore() {
  const touches: Touch[] = [];
  const state = { failing: false };
  const store = {
    touchSession(id: string, at: number, opts: { usedPrompt?: boolean } = {}) {
      if (state.failing) return Promise.reject(new Error("store down"));
      touches.push({ id, at, usedPrompt: opts.usedPrompt === true });
      return Promise.resolve();
    },
  } as unknown as Store;
  return { store, touches, state };
}

const silent = pino({ level: "silent" });
/** Long enough that only explicit flushes run during a test. */
const NEVER_MS = 3_600_000;

describe("ActivityFlusher", () => {
  it("keeps calls in memory and writes each session's latest at the flush", async () => {
    const { store, touches } = recordingStore();
    const flusher = new ActivityFlusher(store, silent, NEVER_MS);
    await flusher.touch("a", 1, false);
    await flusher.touch("a", 2, false);
    await flusher.touch("b", 3, false);
    assert.deepEqual(touches, []);
    await flusher.flush();
    assert.deepEqual(touches, [
      { id: "a", at: 2, usedPrompt: false },
      { id: "b", at: 3, usedPrompt: false },
    ]);
    await flusher.flush();
    assert.equal(touches.length, 2, "nothing new, nothing written");
    await flusher.close();
  });

  it("writes a session's first prompt at once, since it sets the rate it is billed at", async () => {
    const { store, touches } = recordingStore();
    const flusher = new ActivityFlusher(store, silent, NEVER_MS);
    await flusher.touch("a", 1, false);
    await flusher.touch("a", 5, true);
    assert.deepEqual(touches, [{ id: "a", at: 5, usedPrompt: true }]);
    await flusher.close();
    assert.equal(touches.length, 1, "the earlier call was covered by the prompt's write");
  });

  it("keeps what a failed flush could not write for the next one, and flushes on close", async () => {
    const { store, touches, state } = recordingStore();
    const flusher = new ActivityFlusher(store, silent, NEVER_MS);
    await flusher.touch("a", 1, false);
    state.failing = true;
    await flusher.flush();
    state.failing = false;
    await flusher.close();
    assert.deepEqual(touches, [{ id: "a", at: 1, usedPrompt: false }]);
  });

  it("flushes on its timer", async () => {
    const { store, touches } = recordingStore();
    const flusher = new ActivityFlusher(store, silent, 20);
    await flusher.touch("a", 7, false);
    for (let i = 0; i < 100 && touches.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(touches, [{ id: "a", at: 7, usedPrompt: false }]);
    await flusher.close();
  });
});
