/**
 * ISO-3166 alpha-2 country → [default locale, primary IANA timezone], for the countries most
 * often asked for. A compact table, not a full one: for a country not listed, callers apply no
 * locale or timezone override (countries spanning several zones get their most populous one).
 */
const COUNTRIES: Record<string, readonly [locale: string, timezone: string]> = {
  us: ["en-US", "America/New_York"],
  ca: ["en-CA", "America/Toronto"],
  mx: ["es-MX", "America/Mexico_City"],
  br: ["pt-BR", "America/Sao_Paulo"],
  ar: ["es-AR", "America/Argentina/Buenos_Aires"],
  cl: ["es-CL", "America/Santiago"],
  co: ["es-CO", "America/Bogota"],
  pe: ["es-PE", "America/Lima"],
  gb: ["en-GB", "Europe/London"],
  ie: ["en-IE", "Europe/Dublin"],
  fr: ["fr-FR", "Europe/Paris"],
  de: ["de-DE", "Europe/Berlin"],
  es: ["es-ES", "Europe/Madrid"],
  it: ["it-IT", "Europe/Rome"],
  pt: ["pt-PT", "Europe/Lisbon"],
  nl: ["nl-NL", "Europe/Amsterdam"],
  be: ["nl-BE", "Europe/Brussels"],
  ch: ["de-CH", "Europe/Zurich"],
  at: ["de-AT", "Europe/Vienna"],
  se: ["sv-SE", "Europe/Stockholm"],
  no: ["nb-NO", "Europe/Oslo"],
  dk: ["da-DK", "Europe/Copenhagen"],
  fi: ["fi-FI", "Europe/Helsinki"],
  pl: ["pl-PL", "Europe/Warsaw"],
  cz: ["cs-CZ", "Europe/Prague"],
  gr: ["el-GR", "Europe/Athens"],
  ro: ["ro-RO", "Europe/Bucharest"],
  hu: ["hu-HU", "Europe/Budapest"],
  ua: ["uk-UA", "Europe/Kyiv"],
  ru: ["ru-RU", "Europe/Moscow"],
  tr: ["tr-TR", "Europe/Istanbul"],
  il: ["he-IL", "Asia/Jerusalem"],
  ae: ["ar-AE", "Asia/Dubai"],
  sa: ["ar-SA", "Asia/Riyadh"],
  eg: ["ar-EG", "Africa/Cairo"],
  za: ["en-ZA", "Africa/Johannesburg"],
  ng: ["en-NG", "Africa/Lagos"],
  ke: ["en-KE", "Africa/Nairobi"],
  in: ["en-IN", "Asia/Kolkata"],
  pk: ["ur-PK", "Asia/Karachi"],
  bd: ["bn-BD", "Asia/Dhaka"],
  cn: ["zh-CN", "Asia/Shanghai"],
  hk: ["zh-HK", "Asia/Hong_Kong"],
  tw: ["zh-TW", "Asia/Taipei"],
  jp: ["ja-JP", "Asia/Tokyo"],
  kr: ["ko-KR", "Asia/Seoul"],
  sg: ["en-SG", "Asia/Singapore"],
  my: ["ms-MY", "Asia/Kuala_Lumpur"],
  id: ["id-ID", "Asia/Jakarta"],
  th: ["th-TH", "Asia/Bangkok"],
  vn: ["vi-VN", "Asia/Ho_Chi_Minh"],
  ph: ["en-PH", "Asia/Manila"],
  au: ["en-AU", "Australia/Sydney"],
  nz: ["en-NZ", "Pacific/Auckland"],
};

/** Firecrawl's pseudo-countries for its US proxy pools. */
const ALIASES: Record<string, string> = { "us-generic": "us", "us-whitelist": "us" };

export interface CountryLocale {
  locale: string;
  timezone: string;
}

/** The locale and timezone for a country code (any case), or undefined when not in the table. */
export function countryLocale(country: string): CountryLocale | undefined {
  const code = country.toLowerCase();
  const entry = COUNTRIES[ALIASES[code] ?? code];
  return entry && { locale: entry[0], timezone: entry[1] };
}
