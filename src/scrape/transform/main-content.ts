import type { CheerioAPI } from "cheerio/slim";
import type { Element } from "domhandler";
import { classAndIdTokens, walkElements } from "./html-dom.ts";

/** Elements that hold a page's main content: never removed, and neither is anything around them. */
const MAIN_TAGS = new Set(["main", "article"]);
const MAIN_IDS = new Set(["main", "content", "main-content", "maincontent", "primary"]);
const MAIN_CLASSES = new Set([
  "main-content",
  "post-content",
  "entry-content",
  "article-content",
  "article-body",
  "page-content",
]);

const PAGE_CHROME_TAGS = new Set(["nav", "aside", "dialog"]);
/** `header`/`footer` are page chrome at page level but belong to the content inside an article or main. */
const SECTION_CHROME_TAGS = new Set(["header", "footer"]);
const PAGE_CHROME_ROLES = new Set([
  "banner",
  "navigation",
  "contentinfo",
  "complementary",
  "dialog",
  "alertdialog",
]);
/** Class names and ids of page chrome: menus, sidebars, overlays, ads, sharing, cookie banners. */
const PAGE_CHROME_TOKENS = new Set([
  ...["top", "navbar", "nav", "navigation", "menu", "bottom", "site-header", "site-footer"],
  ...["sidebar", "side", "aside", "widget", "breadcrumbs", "breadcrumb"],
  ...["modal", "popup", "overlay", "cookie", "cookie-banner", "cookie-consent", "cookie-notice"],
  ...["ad", "ads", "advert", "advertisement", "sponsored"],
  ...["social", "social-media", "social-links", "share", "sharing", "share-buttons"],
  ...["lang-selector", "language", "language-selector"],
]);
const SECTION_CHROME_TOKENS = new Set(["header", "footer"]);
const NEVER_CHROME_TAGS = new Set(["html", "body"]);

type ChromeKind = "page" | "section" | undefined;

/**
 * Removes page chrome (header, footer, nav, aside, sidebars, menus, overlays, ads, share and cookie
 * widgets) but keeps any element that is or contains main content, and keeps the `<header>`/`<footer>`
 * of an article or main element, which belong to the content. `alsoMain` are more elements to
 * treat as main-content containers.
 */
export function removePageChrome($: CheerioAPI, alsoMain: ReadonlySet<Element> = new Set()): void {
  const isMain = (element: Element): boolean => alsoMain.has(element) || isMainContainer(element);
  const mainPaths = mainContentPaths($, isMain);
  const chrome: Element[] = [];
  walkElements($, (element) => {
    if (mainPaths.has(element)) return true;
    const kind = chromeKind(element);
    if (kind === undefined || (kind === "section" && hasAncestor(element, isMain))) return true;
    chrome.push(element);
    return false;
  });
  $(chrome).remove();
}

export function isMainContainer(element: Element): boolean {
  if (MAIN_TAGS.has(element.name) || element.attribs.role === "main") return true;
  const id = element.attribs.id?.toLowerCase();
  if (id !== undefined && MAIN_IDS.has(id)) return true;
  const classes = element.attribs.class;
  return (
    classes !== undefined &&
    classes
      .toLowerCase()
      .split(/\s+/)
      .some((c) => MAIN_CLASSES.has(c))
  );
}

/** Main-content containers and all their ancestors. */
function mainContentPaths($: CheerioAPI, isMain: (element: Element) => boolean): Set<Element> {
  const paths = new Set<Element>();
  walkElements($, (element) => {
    if (!isMain(element)) return;
    for (
      let node: Element | null = element;
      node !== null && !paths.has(node);
      node = parentElement(node)
    ) {
      paths.add(node);
    }
  });
  return paths;
}

function chromeKind(element: Element): ChromeKind {
  if (NEVER_CHROME_TAGS.has(element.name)) return undefined;
  if (PAGE_CHROME_TAGS.has(element.name)) return "page";
  const role = element.attribs.role;
  if (role !== undefined && PAGE_CHROME_ROLES.has(role.toLowerCase())) return "page";
  const tokens = classAndIdTokens(element);
  if (tokens.some((token) => PAGE_CHROME_TOKENS.has(token))) return "page";
  if (SECTION_CHROME_TAGS.has(element.name)) return "section";
  return tokens.some((token) => SECTION_CHROME_TOKENS.has(token)) ? "section" : undefined;
}

function hasAncestor(element: Element, predicate: (element: Element) => boolean): boolean {
  for (let node = parentElement(element); node !== null; node = parentElement(node)) {
    if (predicate(node)) return true;
  }
  return false;
}

function parentElement(element: Element): Element | null {
  const parent = element.parent;
  return parent !== null && "attribs" in parent ? parent : null;
}
