import { structuredPatch, type StructuredPatchHunk } from "diff";

/**
 * Whether two versions of a page's markdown differ the way Firecrawl tells (spec §7.3): with
 * whitespace and `[iframe](…)` links removed and the characters sorted, so that moved or
 * re-wrapped text is "same".
 */
export function markdownChanged(previous: string, current: string): boolean {
  return comparable(previous) !== comparable(current);
}

function comparable(markdown: string): string {
  const kept = markdown.replace(/\s+/g, "").replace(/\[iframe\]\(.+?\)/g, "");
  return [...kept].sort().join("");
}

/** One line of a chunk, shaped as the `parse-diff` package gives it (and Firecrawl returns it). */
export type DiffChange =
  | { type: "add"; content: string; add: true; ln: number }
  | { type: "del"; content: string; del: true; ln: number }
  | { type: "normal"; content: string; normal: true; ln1: number; ln2: number };

export interface DiffJson {
  files: { from: null; to: null; chunks: { content: string; changes: DiffChange[] }[] }[];
}

export interface ChangeDiff {
  /** A unified diff as `git diff` writes it, without the file headers. */
  text: string;
  json: DiffJson;
}

/** `git diff`'s context: three lines around each change. */
const CONTEXT_LINES = 3;

/**
 * The line diff of two versions, or undefined when finding it takes longer than `timeoutMs`
 * (it runs on the event loop; a huge page rewritten end to end is not worth stalling it).
 */
export function gitDiff(
  previous: string,
  current: string,
  timeoutMs = 1000,
): ChangeDiff | undefined {
  const patch = structuredPatch("a", "b", previous, current, undefined, undefined, {
    context: CONTEXT_LINES,
    timeout: timeoutMs,
  });
  if (!patch || patch.hunks.length === 0) return undefined;
  const text = patch.hunks.map((h) => [hunkHeader(h), ...h.lines].join("\n")).join("\n");
  const chunks = patch.hunks.map((h) => ({ content: hunkHeader(h), changes: changesOf(h) }));
  return { text: `${text}\n`, json: { files: [{ from: null, to: null, chunks }] } };
}

/** `@@ -start[,count] +start[,count] @@`: git leaves out a count of 1, and an empty side starts at 0. */
function hunkHeader(h: StructuredPatchHunk): string {
  const side = (start: number, count: number) =>
    count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;
  return `@@ -${side(h.oldStart, h.oldLines)} +${side(h.newStart, h.newLines)} @@`;
}

/**
 * Each line with its line numbers: `ln` in its own version for an added or deleted line, `ln1`
 * and `ln2` for context. A "\ No newline at end of file" marker repeats the line before it.
 */
function changesOf(h: StructuredPatchHunk): DiffChange[] {
  let oldLn = h.oldStart;
  let newLn = h.newStart;
  const changes: DiffChange[] = [];
  for (const content of h.lines) {
    const last = changes.at(-1);
    if (content.startsWith("\\") && last) changes.push({ ...last, content });
    else if (content.startsWith("+"))
      changes.push({ type: "add", content, add: true, ln: newLn++ });
    else if (content.startsWith("-"))
      changes.push({ type: "del", content, del: true, ln: oldLn++ });
    else {
      changes.push({ type: "normal", content, normal: true, ln1: oldLn++, ln2: newLn++ });
    }
  }
  return changes;
}
