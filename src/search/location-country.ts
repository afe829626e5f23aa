const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Retired codes (DD, FX) become their successors (DE, FR). */
function canonical(code: string): string {
  const [locale] = Intl.getCanonicalLocales(`und-${code}`);
  return (locale?.split("-")[1] ?? code).toLowerCase();
}

let byName: Map<string, string> | undefined;

/** Every region name ICU knows in English, to its ISO 3166-1 alpha-2 code, built once. */
function regionNames(): Map<string, string> {
  if (byName) return byName;
  const names = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
  byName = new Map();
  for (const a of LETTERS) {
    for (const b of LETTERS) {
      const name = names.of(a + b)?.toLowerCase();
      if (name && !byName.has(name)) byName.set(name, canonical(a + b));
    }
  }
  byName.set("usa", "us").set("uk", "gb");
  return byName;
}

/**
 * The country of a Firecrawl `location` such as "San Francisco,California,United States": its
 * last part, as an English country name or a two-letter code; undefined when neither.
 */
export function countryOfLocation(location: string): string | undefined {
  const last = location.split(",").at(-1)?.trim().toLowerCase() ?? "";
  if (/^[a-z]{2}$/.test(last)) return last;
  return regionNames().get(last);
}
