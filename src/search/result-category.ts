import { RESEARCH_SITES } from "./query-builder.ts";

/**
 * A web or news result's `category` as upstream tags it (spec §5.3): `pdf` when asked and the path
 * ends in .pdf, `github` for any github.com host, else the research site it is on; else none.
 */
export function categoryOf(rawUrl: string, asked: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return undefined;
  }
  const host = url.hostname.toLowerCase();
  if (asked.includes("pdf") && url.pathname.toLowerCase().endsWith(".pdf")) return "pdf";
  if (host === "github.com" || host.endsWith(".github.com")) return "github";
  const onResearch = RESEARCH_SITES.some((s) => host === s || host.endsWith(`.${s}`));
  return onResearch ? "research" : undefined;
}
