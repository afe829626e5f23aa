import { AppError } from "../errors.ts";

type Failure =
  | { status: number; body: string }
  | { notJson: string }
  | { cause: unknown; signal: AbortSignal; ms: number | undefined };

const excerpt = (body: string) => JSON.stringify(body.replace(/\s+/g, " ").slice(0, 120));

/** What went wrong with a SearXNG request, as the AppError the search answers with. */
export function searxngError(name: string, failure: Failure): AppError {
  if ("status" in failure) {
    const hint =
      failure.status === 403
        ? " (is JSON output enabled? add json to search.formats in its settings.yml)"
        : "";
    return new AppError(
      "SEARCH_BACKEND_FAILED",
      `${name} answered HTTP ${failure.status}${hint}: ${excerpt(failure.body)}`,
    );
  }
  if ("notJson" in failure) {
    return new AppError(
      "SEARCH_BACKEND_FAILED",
      `${name} did not answer with SearXNG's JSON (is JSON output enabled?): ${excerpt(failure.notJson)}`,
    );
  }
  if (failure.signal.aborted) {
    const within =
      failure.ms === undefined ? "" : ` within the search's timeout of ${failure.ms} ms`;
    return new AppError("SEARCH_BACKEND_TIMEOUT", `${name} did not answer${within}`, {
      cause: failure.cause,
    });
  }
  return new AppError(
    "SEARCH_BACKEND_FAILED",
    `${name} could not be reached: ${reason(failure.cause)}`,
    {
      cause: failure.cause,
    },
  );
}

/** fetch's "fetch failed" hides the real reason (ECONNREFUSED, ENOTFOUND) in its cause. */
function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return err instanceof Error ? err.message : String(err);
}
