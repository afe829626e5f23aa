import type { CheerioAPI } from "cheerio/slim";
import type { AnyNode, Element } from "domhandler";
import { absolutizeUrls } from "./absolute-urls.ts";
import { flattenDeepNesting, selectSafely, walkNodes } from "./html-dom.ts";
import { removePageChrome } from "./main-content.ts";

export interface CleanOptions {
  onlyMainContent: boolean;
  /** CSS selectors: keep only the matching elements. */
  includeTags?: readonly string[] | undefined;
  /** CSS selectors: remove the matching elements. */
  excludeTags?: readonly string[] | undefined;
}

/** Never part of the `html` output: code, styling, and head-only elements. */
const DROPPED_TAGS = new Set([
  "head",
  "script",
  "style",
  "noscript",
  "template",
  "meta",
  "link",
  "base",
]);
const COMMENT_NODE = 8;
/** Deeper levels are flattened so serialization cannot overflow the stack; see `flattenDeepNesting`. */
const MAX_DEPTH = 1000;

/**
 * Turns a parsed page into the `html` output, in place: include/exclude selectors, non-content
 * elements dropped, page chrome removed when `onlyMainContent`, URLs made absolute.
 */
export function cleanHtml($: CheerioAPI, baseUrl: URL, options: CleanOptions): void {
  const includeTags = nonEmptySelectors(options.includeTags);
  const included = includeTags.length > 0 ? keepOnly($, includeTags) : [];
  flattenDeepNesting($, MAX_DEPTH);
  dropNonContent($);
  for (const selector of nonEmptySelectors(options.excludeTags)) {
    $(selectSafely($, selector)).remove();
  }
  // Explicitly included elements count as main content: the heuristics must not remove them.
  if (options.onlyMainContent) removePageChrome($, new Set(included));
  absolutizeUrls($, baseUrl);
}

/** The cleaned document as HTML, without its doctype. */
export function serializeCleanHtml($: CheerioAPI): string {
  return $.html().replace(/^\s*<!doctype[^>]*>\s*/i, "");
}

function nonEmptySelectors(selectors: readonly string[] | undefined): string[] {
  return (selectors ?? [])
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(expandIframeToken);
}

/** Inlined iframe content is kept as `<div data-original-tag="iframe">`, as in Firecrawl. */
function expandIframeToken(selector: string): string {
  return selector === "iframe" ? 'iframe, div[data-original-tag="iframe"]' : selector;
}

/**
 * Replaces the body with a `<div>` of the matching elements, outermost matches only, in document
 * order. Returns the kept elements.
 */
function keepOnly($: CheerioAPI, selectors: readonly string[]): Element[] {
  const matched = new Set<Element>(selectors.flatMap((selector) => selectSafely($, selector)));
  const kept = [...matched].filter((element) => !hasAncestorIn(element, matched));
  kept.sort(documentOrder($));
  const wrapper = $("<div></div>").append(kept);
  const body = $("body").first();
  if (body.length > 0) body.empty().append(wrapper);
  else $.root().empty().append(wrapper);
  return kept;
}

function hasAncestorIn(node: AnyNode, set: ReadonlySet<AnyNode>): boolean {
  for (let parent = node.parent; parent !== null; parent = parent.parent) {
    if (set.has(parent)) return true;
  }
  return false;
}

function documentOrder($: CheerioAPI): (a: AnyNode, b: AnyNode) => number {
  const position = new Map<AnyNode, number>();
  walkNodes($.root().toArray(), (node) => void position.set(node, position.size));
  return (a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0);
}

function dropNonContent($: CheerioAPI): void {
  const dropped: AnyNode[] = [];
  walkNodes($.root().toArray(), (node) => {
    const drop = node.nodeType === COMMENT_NODE || ("name" in node && DROPPED_TAGS.has(node.name));
    if (drop) dropped.push(node);
    return !drop;
  });
  $(dropped).remove();
}
