import { fetch, ProxyAgent } from "undici";

export interface FetchedText {
  status: number;
  /** After redirects. */
  url: string;
  contentType: string;
  text: string;
}

export interface SiteFetcherOptions {
  /** The egress proxy listener every crawl fetch goes through (its policy applies). */
  proxyUrl: string;
  userAgent: string;
  timeoutMs: number;
  /** Larger bodies are cut here (a sitemap may be 50 MB; robots.txt is small). */
  maxBytes: number;
}

/** What reading robots.txt, sitemaps and pages needs of a fetcher. */
export interface TextFetcher {
  text(url: string, signal: AbortSignal): Promise<FetchedText | undefined>;
}

/**
 * Plain HTTP fetches a crawl makes besides its pages (robots.txt, sitemaps), through the egress
 * proxy like every browser's traffic: a private or refused target fails as the proxy says.
 */
export class SiteFetcher {
  readonly #options: SiteFetcherOptions;
  readonly #agent: ProxyAgent;

  constructor(options: SiteFetcherOptions) {
    this.#options = options;
    this.#agent = new ProxyAgent(options.proxyUrl);
  }

  /** The same fetcher, sending `headers` too (a map's Accept-Language). */
  withHeaders(headers: Record<string, string>): TextFetcher {
    return { text: (url, signal) => this.text(url, signal, headers) };
  }

  /** The body as text; undefined when the target is unreachable or refused. */
  async text(
    url: string,
    signal: AbortSignal,
    headers: Record<string, string> = {},
  ): Promise<FetchedText | undefined> {
    const bounded = AbortSignal.any([signal, AbortSignal.timeout(this.#options.timeoutMs)]);
    try {
      const response = await fetch(url, {
        dispatcher: this.#agent,
        signal: bounded,
        redirect: "follow",
        headers: { ...headers, "user-agent": this.#options.userAgent },
      });
      return {
        status: response.status,
        url: response.url,
        contentType: response.headers.get("content-type") ?? "",
        text: await readCapped(response.body, this.#options.maxBytes),
      };
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

async function readCapped(
  body: AsyncIterable<Uint8Array> | null,
  maxBytes: number,
): Promise<string> {
  if (!body) return "";
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(Buffer.from(chunk));
    size += chunk.byteLength;
    if (size >= maxBytes) break;
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8");
}
