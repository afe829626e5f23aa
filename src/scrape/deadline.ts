import { setTimeout as delay } from "node:timers/promises";
import { AppError } from "../errors.ts";

/**
 * One scrape's time budget: a deadline (when `timeoutMs` is set) and the caller's signal.
 * Playwright calls take `timeout()` for their own bound; anything else is bounded by `race()`.
 */
export class Deadline {
  readonly signal: AbortSignal;
  #endsAt: number;

  constructor(timeoutMs: number | undefined, parent?: AbortSignal) {
    this.#endsAt = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    const signals = parent ? [parent] : [];
    if (timeoutMs !== undefined) signals.push(AbortSignal.timeout(timeoutMs));
    this.signal = AbortSignal.any(signals);
  }

  /** Milliseconds left; Infinity when only the caller's signal bounds the scrape. */
  remaining(): number {
    return Math.max(0, this.#endsAt - Date.now());
  }

  /** A Playwright `timeout` option: 0 means "none" there, so an expired deadline throws instead. */
  timeout(): number {
    this.throwIfOver();
    const left = this.remaining();
    return left === Infinity ? 0 : Math.max(1, left);
  }

  throwIfOver(): void {
    if (this.signal.aborted || this.remaining() === 0) throw abortError(this.signal);
  }

  /** A Playwright call given the time left as its `timeout`, and raced with the caller's signal. */
  bound<T>(call: (timeout: number) => Promise<T>): Promise<T> {
    return this.race(call(this.timeout()));
  }

  /** Settles with `work`, or rejects when the deadline passes or the caller aborts first. */
  race<T>(work: Promise<T>): Promise<T> {
    return raceSignal(work, this.signal);
  }

  /** Sleeps `ms`; throws SCRAPE_TIMEOUT at once when the sleep cannot end before the deadline. */
  async sleep(ms: number): Promise<void> {
    if (ms >= this.remaining()) throw new AppError("SCRAPE_TIMEOUT");
    try {
      await delay(ms, undefined, { signal: this.signal });
    } catch {
      throw abortError(this.signal);
    }
  }
}

/** What an aborted signal means to the client: a passed deadline is SCRAPE_TIMEOUT. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof AppError) return reason;
  if (reason === undefined || (reason instanceof DOMException && reason.name === "TimeoutError")) {
    return new AppError("SCRAPE_TIMEOUT");
  }
  return reason instanceof Error ? reason : new Error("aborted", { cause: reason });
}

/** Settles with `work` unless `signal` aborts first; a late rejection of `work` is then ignored. */
export function raceSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  });
}

/**
 * After an abort, `fn` gets a moment to settle with its own, more precise answer (such as the
 * action that was waiting); failing that, the abort's error stands.
 */
export async function outcomeWithin<T>(
  work: Promise<T>,
  ms: number,
  fallback: unknown,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), ms)));
  const settled = work.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const outcome = await Promise.race([settled, late]);
  clearTimeout(timer);
  if (outcome === "late") throw fallback;
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}

/** Waits for `work` to settle, or `ms` at most; never throws. */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([work.catch(() => undefined), bound]);
  clearTimeout(timer);
}
