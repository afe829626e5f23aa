import { setTimeout as delay } from "node:timers/promises";

/** A polling loop's pause that new work can cut short: `sleep` ends at `notify` or after `ms`. */
export class Wakeup {
  #wake = Promise.withResolvers<void>();

  notify(): void {
    this.#wake.resolve();
  }

  async sleep(ms: number): Promise<void> {
    await Promise.race([this.#wake.promise, delay(ms)]);
    this.#wake = Promise.withResolvers<void>();
  }
}
