/** The page as the model reads it: its markdown and where it came from. */
export interface LlmPage {
  markdown: string;
  url: string;
  /** For the logs: which scrape the model call belongs to. */
  scrapeId?: string;
}

/**
 * The formats whose value a language model writes. An implementation answers an `AppError`
 * (`LLM_EXTRACTION_FAILED`) when the model fails or its answer is unusable, and stops when
 * `signal` aborts. The scrape checks a `json` answer against the schema itself.
 */
export interface LlmFormats {
  /** The page as JSON: shaped by `schema` when there is one, steered by `prompt`. */
  json(
    input: LlmPage & { schema?: unknown; prompt?: string },
    signal: AbortSignal,
  ): Promise<unknown>;
  /** A short prose summary of the page. */
  summary(input: LlmPage, signal: AbortSignal): Promise<string>;
  /** A succinct answer to `question`, from the page alone (the `question` format). */
  answer(input: LlmPage & { question: string }, signal: AbortSignal): Promise<string>;
  /**
   * The indices of the page's `lines` that answer `query` (the `highlights` format): the model
   * reads the lines numbered, never the markdown itself. Indices are as the model gave them.
   */
  pickLines(
    input: Omit<LlmPage, "markdown"> & { query: string; lines: readonly string[] },
    signal: AbortSignal,
  ): Promise<number[]>;
}
