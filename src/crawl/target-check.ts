import { AppError } from "../errors.ts";
import { checkTarget, type Resolver } from "../net/target-policy.ts";

export interface TargetCheck {
  allowPrivate: boolean;
  resolve: Resolver;
}

const RESOLVE_TIMEOUT_MS = 10_000;

/**
 * Refuses a crawl's or map's starting URL that the egress policy would refuse (a private or
 * loopback address without ALLOW_PRIVATE_TARGETS): a clear 403 now, rather than a job that can
 * only fail. A name that does not resolve is left to the job, which reports it per page.
 */
export async function refusePrivateTarget(url: string, check: TargetCheck): Promise<void> {
  const refusal = await privateTargetRefusal(url, check);
  if (refusal) throw refusal;
}

/** The 403 the policy gives `url`, or undefined when the policy lets it through. */
export async function privateTargetRefusal(
  url: string,
  check: TargetCheck,
): Promise<AppError | undefined> {
  const verdict = await checkTarget(new URL(url), {
    allowPrivate: check.allowPrivate,
    resolve: check.resolve,
    signal: AbortSignal.timeout(RESOLVE_TIMEOUT_MS),
  });
  if (verdict.kind !== "blocked") return undefined;
  return new AppError(
    "PRIVATE_TARGET",
    `Blocked insecure target URL: ${new URL(url).hostname} resolves to ${verdict.address}, a private or local address this server refuses (set ALLOW_PRIVATE_TARGETS=true to allow it).`,
  );
}
