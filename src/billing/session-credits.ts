/** Credits an hour of browser time costs (spec §2.9): code only, or once any prompt ran. */
export const BROWSER_CREDITS_PER_HOUR = 120;
export const INTERACT_CREDITS_PER_HOUR = 420;

/** Spec §2.9: at least one browser-minute, the rest prorated and rounded up. */
export function sessionCredits(durationMs: number, usedPrompt: boolean): number {
  const rate = usedPrompt ? INTERACT_CREDITS_PER_HOUR : BROWSER_CREDITS_PER_HOUR;
  const prorated = Math.ceil((Math.max(0, durationMs) / 3_600_000) * rate);
  return Math.max(Math.ceil(rate / 60), prorated);
}

/** What a session of `ttlSeconds` would cost at most, checked before it starts (spec §2.3). */
export function sessionCreditEstimate(ttlSeconds: number): number {
  return sessionCredits(ttlSeconds * 1000, false);
}
