/** What the browser stage hands to the transform stage: the page as loaded, before any cleaning. */
export interface PageCapture {
  /** Final URL after redirects. */
  url: string;
  /** HTTP status of the main document response. */
  statusCode: number;
  /** Content-Type of the main document response, as sent (may carry a charset). */
  contentType: string;
  /** The rendered DOM serialized (document.documentElement.outerHTML) for HTML documents. */
  html?: string;
  /** Raw response bytes for documents that are not HTML (PDF, JSON, plain text). */
  body?: Buffer;
  /** PNG or JPEG bytes when a screenshot format was requested. */
  screenshot?: Buffer;
  /** Outputs of the request's actions, in the order they ran. */
  actions?: ActionOutputs;
}

export interface ActionOutputs {
  screenshots: Buffer[];
  scrapes: { url: string; html: string }[];
  javascriptReturns: { type: string; value: unknown }[];
  pdfs: Buffer[];
}
