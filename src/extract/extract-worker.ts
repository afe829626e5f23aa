import { v7 as uuidv7 } from "uuid";
import type { ExtractPage, PageExtractor } from "../agent/page-extractor.ts";
import { AppError } from "../errors.ts";
import { JobFailed, runningGroupOf, type JobResult } from "../jobs/job-runner.ts";
import type { Logger } from "../log.ts";
import { compileSchema } from "../scrape/request/schema-validator.ts";
import { scrapeRequestSchema } from "../scrape/scrape-request.ts";
import type { ScrapeService } from "../scrape/scrape-service.ts";
import type { ClaimedJob } from "../store/job-queue.ts";
import type { Store } from "../store/store.ts";
import type { StoredExtract } from "./extract-request.ts";
import type { ExtractUrls } from "./extract-urls.ts";

/** The job's stored document, which `GET /v2/extract/{id}` reads. */
export interface ExtractDocument {
  data: unknown;
  /** Each top-level key of the answer (or `data` for a non-object) → the URLs that were read. */
  sources: Record<string, string[]>;
  tokensUsed: number;
}

export interface ExtractWorkerDeps {
  store: Store;
  scraper: ScrapeService;
  /** Absent without a model: a job queued before a restart without one fails with a 503's words. */
  extractor: PageExtractor | undefined;
  urls: ExtractUrls;
  logger: Logger;
}

/** Without a `timeout`, the whole job (map, search, scrapes, model) gets this long. */
const DEFAULT_DEADLINE_MS = 5 * 60 * 1000;
/** Pages scraped at once for one extract. */
const PAGES_AT_ONCE = 3;
/** Upstream's bill: one credit per 15 tokens of the result (spec §8). */
const TOKENS_PER_CREDIT = 15;
/** The usual rough figure for English text and JSON; the bill is an estimate upstream too. */
const CHARS_PER_TOKEN = 4;

/**
 * Runs an extract job: the URLs (wildcards mapped, the web searched), each page scraped to
 * markdown, one model call over them all, the answer checked against the schema.
 */
export class ExtractWorker {
  readonly #deps: ExtractWorkerDeps;

  constructor(deps: ExtractWorkerDeps) {
    this.#deps = deps;
  }

  async handle(job: ClaimedJob, cancelled: AbortSignal): Promise<JobResult> {
    const group = await runningGroupOf(this.#deps.store, job, "The extract job is gone.");
    const stored = group.request as StoredExtract;
    const deadline = AbortSignal.timeout(stored.timeout ?? DEFAULT_DEADLINE_MS);
    const signal = AbortSignal.any([cancelled, deadline]);
    const log = this.#deps.logger.child({ extractId: group.id });
    try {
      const urls = await this.#deps.urls.expand(stored, job.teamId, signal);
      const pages = await this.#scrapeAll(urls, stored, job.teamId, signal, log);
      const data = await this.#answer(pages, stored, signal);
      return resultOf(data, pages);
    } catch (e) {
      if (deadline.aborted && !cancelled.aborted) {
        throw new JobFailed("EXTRACT_TIMEOUT", `The extract did not finish within ${ms(stored)}.`);
      }
      throw e;
    }
  }

  async #scrapeAll(
    urls: string[],
    stored: StoredExtract,
    teamId: string,
    signal: AbortSignal,
    log: Logger,
  ): Promise<ExtractPage[]> {
    const pages: (ExtractPage | undefined)[] = [];
    let next = 0;
    const lane = async () => {
      while (next < urls.length && !signal.aborted) {
        const index = next++;
        pages[index] = await this.#scrape(urls[index] ?? "", stored, teamId, signal, log);
      }
    };
    await Promise.all(Array.from({ length: PAGES_AT_ONCE }, lane));
    signal.throwIfAborted();
    const read = pages.filter((page) => page !== undefined);
    if (read.length > 0) return read;
    const tried = urls.length === 0 ? "no URL was found" : `tried: ${urls.join(", ")}`;
    throw new JobFailed(
      "EXTRACT_NO_PAGES",
      `None of the extract's pages could be read (${tried}).`,
    );
  }

  /** One page as markdown; a page that fails is skipped (and logged), not the extract. */
  async #scrape(
    url: string,
    stored: StoredExtract,
    teamId: string,
    signal: AbortSignal,
    log: Logger,
  ): Promise<ExtractPage | undefined> {
    try {
      const request = scrapeRequestSchema.parse({
        ...stored.scrapeOptions,
        url,
        formats: ["markdown"],
      });
      const { document } = await this.#deps.scraper.scrapePage(
        request,
        { teamId, sourceURL: url, publicBaseUrl: stored.publicBaseUrl, signal },
        uuidv7(),
      );
      return { url, markdown: typeof document.markdown === "string" ? document.markdown : "" };
    } catch (err) {
      if (signal.aborted) throw err;
      log.warn({ url, err: err instanceof Error ? err.message : err }, "extract page skipped");
      return undefined;
    }
  }

  async #answer(pages: ExtractPage[], stored: StoredExtract, signal: AbortSignal) {
    if (!this.#deps.extractor) throw new AppError("LLM_NOT_CONFIGURED");
    const data = await this.#deps.extractor.extractPages(
      {
        pages,
        ...(stored.prompt !== undefined && { prompt: stored.prompt }),
        ...(stored.systemPrompt !== undefined && { instructions: stored.systemPrompt }),
        ...(stored.schema !== undefined && { schema: stored.schema }),
      },
      signal,
    );
    const problem = stored.schema === undefined ? undefined : compileSchema(stored.schema)(data);
    if (problem) {
      throw new JobFailed(
        "EXTRACT_SCHEMA_MISMATCH",
        `The model's answer does not match the schema: ${problem}`,
      );
    }
    return data;
  }
}

/** The stored document and the bill: ⌈tokens/15⌉, tokens estimated from the result's size. */
function resultOf(data: unknown, pages: ExtractPage[]): JobResult {
  const tokensUsed = Math.ceil(JSON.stringify(data ?? null).length / CHARS_PER_TOKEN);
  const read = pages.map((page) => page.url);
  const keys =
    typeof data === "object" && data !== null && !Array.isArray(data) ? Object.keys(data) : [];
  const sources = Object.fromEntries((keys.length > 0 ? keys : ["data"]).map((k) => [k, read]));
  const doc: ExtractDocument = { data, sources, tokensUsed };
  return {
    documentJson: JSON.stringify(doc),
    creditsUsed: Math.ceil(tokensUsed / TOKENS_PER_CREDIT),
    links: [],
  };
}

function ms(stored: StoredExtract): string {
  return `${stored.timeout ?? DEFAULT_DEADLINE_MS} ms`;
}
