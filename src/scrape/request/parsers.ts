import { z } from "zod";

const pdfParser = z
  .strictObject({
    type: z.literal("pdf"),
    mode: z.enum(["fast", "auto", "ocr"]).optional(),
    maxPages: z.int().positive().max(10_000).optional(),
    /** Per-page markdown in `document.pages`. */
    pages: z.boolean().optional(),
    /** Deprecated alias of `pages`, folded into it below. */
    pageMarkdown: z.boolean().optional(),
    blocks: z.boolean().optional(),
    pageMarkers: z.boolean().optional(),
    __firePdfAsync: z.boolean().optional(),
  })
  .transform(({ pageMarkdown, pages, ...parser }) => {
    const merged = pages ?? pageMarkdown;
    return merged === undefined ? parser : { ...parser, pages: merged };
  });

/** How documents other than HTML are parsed; `[]` returns a PDF as base64 instead. */
export const parsersSchema = z.array(z.union([z.literal("pdf"), pdfParser])).prefault(["pdf"]);
