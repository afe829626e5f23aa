import { load, type CheerioAPI } from "cheerio/slim";
import type { AnyNode, ChildNode, Element } from "domhandler";

/**
 * Parses with htmlparser2 (several times faster than parse5 on large pages): the input is a DOM the
 * browser already serialized, so spec-exact error recovery buys nothing. Output keeps UTF-8 text as is.
 */
export function parseHtml(html: string): CheerioAPI {
  return load(html, { xml: { xmlMode: false, decodeEntities: true, encodeEntities: "utf8" } });
}

export function isElement(node: AnyNode): node is Element {
  return "attribs" in node;
}

/**
 * Visits every node under `roots` (roots included, at depth 0) in document order. Returning `false`
 * from `visit` skips the node's children. Iterative, so a deeply nested DOM cannot overflow the stack.
 */
export function walkNodes(
  roots: readonly AnyNode[],
  visit: (node: AnyNode, depth: number) => boolean | void,
): void {
  // Two parallel stacks rather than [node, depth] pairs: no allocation per node on large pages.
  const nodes: AnyNode[] = [...roots].reverse();
  const depths: number[] = nodes.map(() => 0);
  for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
    const depth = depths.pop() ?? 0;
    if (visit(node, depth) === false || !("children" in node)) continue;
    const { children } = node;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child === undefined) continue;
      nodes.push(child);
      depths.push(depth + 1);
    }
  }
}

/** Like `walkNodes`, for elements only. */
export function walkElements($: CheerioAPI, visit: (element: Element) => boolean | void): void {
  walkNodes($.root().toArray(), (node) => (isElement(node) ? visit(node) : true));
}

/**
 * The serializer recurses once per level and overflows the stack a few thousand levels down. Below
 * `maxDepth` (far deeper than the 512 levels Chrome's parser builds), each subtree is flattened to its
 * text and childless elements, in order: the content survives, its deep structure does not.
 */
export function flattenDeepNesting($: CheerioAPI, maxDepth: number): void {
  const boundary: Element[] = [];
  walkNodes($.root().toArray(), (node, depth) => {
    if (depth < maxDepth) return true;
    if (isElement(node)) boundary.push(node);
    return false;
  });
  for (const element of boundary) replaceChildren(element, leafNodes(element));
}

/** Leaves of a subtree in order; text before each flattened element gets a space, so words stay apart. */
function leafNodes(element: Element): ChildNode[] {
  const leaves: ChildNode[] = [];
  walkNodes(element.children, (node) => {
    if ("children" in node && node.children.length > 0) {
      const previous = leaves.at(-1);
      if (previous !== undefined && "data" in previous && !/\s$/.test(previous.data)) {
        previous.data += " ";
      }
    } else {
      leaves.push(node);
    }
  });
  return leaves;
}

function replaceChildren(element: Element, children: ChildNode[]): void {
  element.children = children;
  children.forEach((child, i) => {
    child.parent = element;
    child.prev = children[i - 1] ?? null;
    child.next = children[i + 1] ?? null;
  });
}

/** Class names and id of an element, lowercased: the tokens page-chrome heuristics look at. */
export function classAndIdTokens(element: Element): string[] {
  if (element.attribs.class === undefined && element.attribs.id === undefined) return [];
  const tokens = (element.attribs.class ?? "").toLowerCase().split(/\s+/);
  const id = element.attribs.id;
  if (id !== undefined) tokens.push(id.toLowerCase());
  return tokens.filter((token) => token !== "");
}

/** The document's base URL: `<base href>` resolved against the page URL, else the page URL. */
export function documentBaseUrl($: CheerioAPI, pageUrl: URL): URL {
  const href = $("base[href]").first().attr("href");
  return (href === undefined ? undefined : URL.parse(href.trim(), pageUrl)) ?? pageUrl;
}

/** Runs a user-supplied CSS selector; an invalid selector matches nothing instead of failing the scrape. */
export function selectSafely($: CheerioAPI, selector: string): Element[] {
  try {
    return $(selector).toArray().filter(isElement);
  } catch {
    return [];
  }
}
