import { htmlToMarkdown } from "mdream";

export interface MarkdownOptions {
  /** URL that relative links and image sources resolve against (full resolution, not just the origin). */
  baseUrl?: string | undefined;
  /** Replace `data:image/…;base64,…` image sources with Firecrawl's placeholder. */
  removeBase64Images: boolean;
}

export const BASE64_IMAGE_PLACEHOLDER = "<Base64-Image-Removed>";

/**
 * An image whose source is a base64 data URI, bare or in angle brackets, with an optional title.
 * The alt text allows escaped brackets; each alternative is disjoint, so matching stays linear.
 */
const BASE64_IMAGE =
  /(!\[(?:[^\]\\]|\\.)*\])\((?:<data:image\/[^>;,]*(?:;[^>;,]*)*;base64,[^>]*>|data:image\/[^\s);,]*(?:;[^\s);,]*)*;base64,[^\s)]*)((?:\s+"(?:[^"\\]|\\.)*")?)\)/g;

/** HTML to GFM markdown (tables, fenced code with language) with mdream. */
export function renderMarkdown(html: string, options: MarkdownOptions): string {
  const markdown = htmlToMarkdown(
    html,
    options.baseUrl === undefined ? {} : { origin: options.baseUrl },
  );
  const result = options.removeBase64Images ? removeBase64Images(markdown) : markdown;
  return result.trim();
}

export function removeBase64Images(markdown: string): string {
  return markdown.replace(BASE64_IMAGE, `$1(${BASE64_IMAGE_PLACEHOLDER}$2)`);
}
