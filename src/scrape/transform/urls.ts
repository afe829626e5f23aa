/** Absolute form of a URL found in a page, or undefined when it is empty or cannot be parsed. */
export function resolveUrl(raw: string | undefined, base: URL): string | undefined {
  const trimmed = raw?.trim();
  if (trimmed === undefined || trimmed === "") return undefined;
  return URL.parse(trimmed, base)?.href;
}

export interface SrcsetCandidate {
  url: string;
  /** Width (`800w`) or density (`2x`, the default `1x`) descriptor, as written. */
  descriptor: string;
}

const SPACE = /\s/;

/**
 * Splits a `srcset` the way the HTML spec does: a URL is a run of non-space characters (it may hold
 * commas, as CDN URLs often do), then optional descriptors up to the next comma.
 */
export function parseSrcset(srcset: string): SrcsetCandidate[] {
  const candidates: SrcsetCandidate[] = [];
  let i = 0;
  while (i < srcset.length) {
    while (i < srcset.length && (SPACE.test(srcset.charAt(i)) || srcset.charAt(i) === ",")) i++;
    const urlStart = i;
    while (i < srcset.length && !SPACE.test(srcset.charAt(i))) i++;
    let url = srcset.slice(urlStart, i);
    let descriptor = "";
    if (url.endsWith(",")) {
      url = url.replace(/,+$/, "");
    } else {
      const end = srcset.indexOf(",", i);
      const descriptorEnd = end === -1 ? srcset.length : end;
      descriptor = srcset.slice(i, descriptorEnd).trim();
      i = descriptorEnd;
    }
    if (url !== "") candidates.push({ url, descriptor });
  }
  return candidates;
}

/**
 * The candidate a large screen would pick: the widest `w` candidate, else the densest `x` one,
 * with `src` counting as `1x`.
 */
export function largestSrcsetUrl(srcset: string, src: string | undefined): string | undefined {
  const candidates = parseSrcset(srcset).map((c) => ({
    url: c.url,
    ...descriptorSize(c.descriptor),
  }));
  const widths = candidates.filter((c) => c.unit === "w");
  const pool = widths.length > 0 ? widths : candidates.filter((c) => c.unit === "x");
  if (widths.length === 0 && src !== undefined && src.trim() !== "") {
    pool.push({ url: src, size: 1, unit: "x" });
  }
  let best = pool[0];
  for (const candidate of pool) {
    if (best === undefined || candidate.size > best.size) best = candidate;
  }
  return best?.url;
}

function descriptorSize(descriptor: string): { size: number; unit: "w" | "x" | "other" } {
  const match = /^(\d*\.?\d+)([wx])$/i.exec(descriptor.split(/\s+/)[0] ?? "");
  if (descriptor === "") return { size: 1, unit: "x" };
  if (match === null) return { size: 0, unit: "other" };
  return { size: Number(match[1]), unit: match[2]?.toLowerCase() === "w" ? "w" : "x" };
}
