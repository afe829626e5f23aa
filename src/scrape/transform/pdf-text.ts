import { getDocumentProxy, getMeta } from "unpdf";

export interface PdfContent {
  /** Text of each page read, in order; empty when only metadata was asked for. */
  pages: string[];
  /** Page count of the whole document. */
  numPages: number;
  title?: string;
}

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

/** Reads a PDF's text page by page, stopping after `maxPages` (`0` reads metadata only). */
export async function readPdf(bytes: Uint8Array, maxPages: number): Promise<PdfContent> {
  // A copy: pdf.js may detach the buffer it is given.
  const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 });
  try {
    const pageCount = Math.min(pdf.numPages, maxPages);
    const pages: string[] = [];
    for (let page = 1; page <= pageCount; page++) pages.push(await pageText(pdf, page));
    const title = await pdfTitle(pdf);
    return { pages, numPages: pdf.numPages, ...(title === undefined ? {} : { title }) };
  } finally {
    await pdf.loadingTask.destroy();
  }
}

async function pageText(pdf: PdfDocument, pageNumber: number): Promise<string> {
  const content = await (await pdf.getPage(pageNumber)).getTextContent();
  return content.items
    .map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : "") : ""))
    .join("")
    .trim();
}

async function pdfTitle(pdf: PdfDocument): Promise<string | undefined> {
  const { info } = await getMeta(pdf);
  const title: unknown = info.Title;
  return typeof title === "string" && title.trim() !== "" ? title.trim() : undefined;
}
