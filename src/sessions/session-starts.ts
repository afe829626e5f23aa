/**
 * The session starts under way on this node, each until its session is open (a host taken or
 * launched, the scrape replayed). Someone waits for a start, and a start is CPU-bound (a sandbox,
 * a Node with Playwright, a Chromium), so work done ahead of need waits until none is under way:
 * the scrape pool makes its warm contexts after them (`BrowserPool`'s `yieldTo`). On two cores a
 * warm context made during a cold session's start (25 ms after the scrape it follows) slowed it:
 * a cold first call took 385–416 ms with it, 347–367 ms once it waited (four interleaved pairs,
 * `bench/cold-session-bench.ts`). While starts follow each other without a gap, scrapes make
 * their contexts as they come, as they do whenever the warm ones are used up.
 */
export class SessionStarts {
  #underway = 0;
  #waiting: (() => void)[] = [];

  /** A start begins; call the function returned when it has ended (more calls do nothing). */
  begin(): () => void {
    this.#underway++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#underway--;
      if (this.#underway > 0) return;
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const resolve of waiting) resolve();
    };
  }

  /** Whether a start is under way. */
  get busy(): boolean {
    return this.#underway > 0;
  }

  /** Settles once no start is under way: at once when none is. */
  idle(): Promise<void> {
    if (this.#underway === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}
