import { devices, type Browser, type BrowserContextOptions, type Page } from "playwright-core";
import { userAgentFor } from "../browser/chromium.ts";
import type { Logger } from "../log.ts";
import type { StorageState } from "../profiles/profile-vault.ts";
import { countryLocale } from "./country-locales.ts";

export interface ScrapeLocation {
  country?: string | undefined;
  languages?: string[] | undefined;
}

/** What a scrape needs from its browser context; everything else is per page. */
export interface ContextSpec {
  mobile: boolean;
  skipTlsVerification: boolean;
  headers?: Record<string, string> | undefined;
  location?: ScrapeLocation | undefined;
  /** A profile's saved cookies and storage, loaded into the context before the page. */
  storageState?: StorageState | undefined;
}

/** Firecrawl's defaults with no headers and no actions: the spec warm contexts are made for. */
export const DEFAULT_CONTEXT_SPEC: ContextSpec = Object.freeze({
  mobile: false,
  skipTlsVerification: true,
});

export function isDefaultSpec(spec: ContextSpec): boolean {
  return (
    !spec.mobile &&
    spec.skipTlsVerification &&
    spec.location === undefined &&
    spec.storageState === undefined &&
    Object.keys(spec.headers ?? {}).length === 0
  );
}

const DESKTOP_VIEWPORT = { width: 1920, height: 1080 };
const MOBILE_DEVICE = "Pixel 7";

/** Playwright options for a context that serves `spec`. */
export function contextOptions(
  spec: ContextSpec,
  browser: Browser,
  logger: Logger,
): BrowserContextOptions {
  const locale = spec.location ? localeOf(spec.location, logger) : undefined;
  const headers = spec.headers ?? {};
  return {
    ...(spec.mobile ? mobileOptions(browser) : desktopOptions(browser)),
    ignoreHTTPSErrors: spec.skipTlsVerification,
    // A download would be written to disk; the loader fetches such documents itself.
    acceptDownloads: false,
    ...(locale?.locale !== undefined && { locale: locale.locale }),
    ...(locale?.timezoneId !== undefined && { timezoneId: locale.timezoneId }),
    ...(Object.keys(headers).length > 0 && { extraHTTPHeaders: headers }),
    ...(spec.storageState && {
      storageState: spec.storageState as NonNullable<BrowserContextOptions["storageState"]>,
    }),
  };
}

/**
 * Chromium takes Accept-Language and navigator.languages from the user-agent override, which
 * Playwright fills from `locale` alone. For a list of languages, each page gets its own.
 */
export async function applyLanguages(
  page: Page,
  spec: ContextSpec,
  options: BrowserContextOptions,
): Promise<void> {
  const languages = spec.location?.languages ?? [];
  if (languages.length < 2 || options.userAgent === undefined) return;
  const session = await page.context().newCDPSession(page);
  await session.send("Emulation.setUserAgentOverride", {
    userAgent: options.userAgent,
    acceptLanguage: languages.join(","),
  });
}

function desktopOptions(browser: Browser): BrowserContextOptions {
  const userAgent = userAgentFor(browser);
  return {
    viewport: DESKTOP_VIEWPORT,
    screen: DESKTOP_VIEWPORT,
    ...(userAgent !== undefined && { userAgent }),
  };
}

function mobileOptions(browser: Browser): BrowserContextOptions {
  const { userAgent, viewport, deviceScaleFactor, isMobile, hasTouch } = devices[MOBILE_DEVICE];
  return {
    userAgent: userAgentFor(browser, userAgent) ?? userAgent,
    viewport,
    deviceScaleFactor,
    isMobile,
    hasTouch,
  };
}

interface LocaleOverride {
  locale?: string;
  timezoneId?: string;
}

/** Firecrawl's `location`: languages[0] wins for the locale, the country picks the timezone. */
function localeOf(location: ScrapeLocation, logger: Logger): LocaleOverride {
  const country = location.country ?? "us-generic";
  const known = countryLocale(country);
  if (!known) logger.debug({ country }, "country not in the timezone table; no timezone override");
  const locale = location.languages?.[0] ?? known?.locale;
  return {
    ...(locale !== undefined && { locale }),
    ...(known && { timezoneId: known.timezone }),
  };
}
