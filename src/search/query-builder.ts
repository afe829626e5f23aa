import type { SearchRequest } from "./search-request.ts";

/** Upstream's list of research sites (spec §5.3). */
export const RESEARCH_SITES = [
  "arxiv.org",
  "scholar.google.com",
  "pubmed.ncbi.nlm.nih.gov",
  "researchgate.net",
  "nature.com",
  "science.org",
  "ieee.org",
  "acm.org",
  "springer.com",
  "wiley.com",
  "sciencedirect.com",
  "plos.org",
  "biorxiv.org",
  "medrxiv.org",
];

const CATEGORY_SITES: Record<string, string[]> = {
  github: ["github.com"],
  research: RESEARCH_SITES,
};

function categoryClause(categories: readonly string[]): string {
  const sites = categories.flatMap((c) => CATEGORY_SITES[c] ?? []);
  const clause = sites.length > 0 ? ` (${sites.map((s) => `site:${s}`).join(" OR ")})` : "";
  return categories.includes("pdf") ? `${clause} filetype:pdf` : clause;
}

function domainClause(request: SearchRequest): string {
  if (request.includeDomains?.length) {
    return ` ${request.includeDomains.map((d) => `site:${d}`).join(" OR ")}`;
  }
  if (request.excludeDomains?.length) {
    return ` ${request.excludeDomains.map((d) => `-site:${d}`).join(" ")}`;
  }
  return "";
}

/** The query as upstream's builder writes it: categories, then domain filters (spec §5.3). */
export function buildQuery(request: SearchRequest): string {
  return request.query + categoryClause(request.categories ?? []) + domainClause(request);
}
