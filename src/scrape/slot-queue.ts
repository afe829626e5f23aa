import { AppError } from "../errors.ts";
import { abortError } from "./deadline.ts";

interface Waiter {
  grant(): void;
  fail(error: Error): void;
}

/** A counting semaphore with a FIFO queue whose waits are bounded and abortable. */
export class SlotQueue {
  #free: number;
  #waiters: Waiter[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves with the milliseconds spent queued (0 when a slot was free). Rejects with
   * CONCURRENCY_QUEUE_TIMEOUT after `timeoutMs`, or with the abort reason, leaving the queue.
   */
  acquire(signal: AbortSignal, timeoutMs: number): Promise<number> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (this.#free > 0 && this.#waiters.length === 0) {
      this.#free--;
      return Promise.resolve(0);
    }
    return this.#enqueue(signal, timeoutMs);
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next.grant();
    else this.#free++;
  }

  /** Empties the queue, failing every waiter with `error`. */
  rejectAll(error: Error): void {
    for (const waiter of this.#waiters.splice(0)) waiter.fail(error);
  }

  #enqueue(signal: AbortSignal, timeoutMs: number): Promise<number> {
    const queuedAt = performance.now();
    return new Promise<number>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        grant: () => {
          done();
          resolve(Math.max(1, Math.round(performance.now() - queuedAt)));
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      const leave = (error: Error) => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        waiter.fail(error);
      };
      const onAbort = () => leave(abortError(signal));
      const timer = setTimeout(() => leave(new AppError("CONCURRENCY_QUEUE_TIMEOUT")), timeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }
}
