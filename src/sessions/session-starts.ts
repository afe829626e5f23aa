/**
 * The session starts under way on this node, each until its session is open (a host taken or
 * launched, the scrape replayed). Someone waits for a start, and a start is CPU-bound (a sandbox,
 * a Node with Playwright, a Chromium), so work done ahead of need waits until none is under way:
 * the scrape pool makes its warm contexts after them (`BrowserPool`'s `yieldTo`). On two cores a
 * warm context made during a cold session's start (the scrape it follows had just ended) slowed it
 * by ~50 ms: a first call in 369–382 ms against 320–339 ms with the warm context made seconds
 * later (four interleaved pairs).
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
