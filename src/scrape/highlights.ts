/**
 * The `highlights` format's two halves (spec §7.2): the page's markdown split into line-like units
 * for the model to pick by number, and the picked units rebuilt verbatim, in page order, as
 * markdown (a code line inside its fence, a table row under its table's header).
 */

export interface Unit {
  /** The unit's text exactly as the markdown has it. */
  text: string;
  kind: "heading" | "text" | "code" | "table";
  /** Units of one paragraph, list item, code block or table share a block. */
  block: number;
  /** What stood between this unit and the one before it in its block ("" for the first). */
  joiner: string;
  /** A code line's opening and closing fences, verbatim (the opening one carries the language). */
  fence?: { open: string; close: string };
  /** A table row's table header: its row and the separator row under it. */
  header?: { row: string; separator: string };
  isHeader?: boolean;
}

const HEADING = /^ {0,3}#{1,6}(\s|$)/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const ITEM = /^\s*([-*+]|\d{1,9}[.)]|>)\s/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_SEPARATOR = /^\s*\|?(\s*:?-{1,}:?\s*\|)+(\s*:?-{1,}:?\s*)?\|?\s*$/;

/** Splits markdown into units: headings, sentences of text lines, code lines, table rows. */
export function splitUnits(markdown: string): Unit[] {
  const lines = markdown.split(/\r?\n/);
  const units: Unit[] = [];
  let block = 0;
  let inParagraph = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const fence = FENCE.exec(line);
    if (fence?.[1]) {
      i = codeUnits(lines, i, fence[1], ++block, units);
      inParagraph = false;
    } else if (TABLE_ROW.test(line) && TABLE_SEPARATOR.test(lines[i + 1] ?? "")) {
      i = tableUnits(lines, i, ++block, units);
      inParagraph = false;
    } else if (line.trim() === "" || RULE.test(line)) {
      inParagraph = false;
    } else if (HEADING.test(line)) {
      units.push({ text: line.trim(), kind: "heading", block: ++block, joiner: "" });
      inParagraph = false;
    } else {
      const continues = inParagraph && !ITEM.test(line);
      if (!continues) block++;
      textUnits(line, block, continues ? "\n" : "", units);
      inParagraph = true;
    }
  }
  return units;
}

/** The lines of a fenced block, one unit each (blank lines dropped); returns the closing line. */
function codeUnits(lines: string[], start: number, marker: string, block: number, out: Unit[]) {
  const open = (lines[start] ?? "").trim();
  const closing = new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}\\s*$`);
  let end = start + 1;
  while (end < lines.length && !closing.test(lines[end] ?? "")) end++;
  const fence = { open, close: (lines[end] ?? marker).trim() };
  let joiner = "";
  for (const line of lines.slice(start + 1, end)) {
    if (line.trim() === "") continue;
    out.push({ text: line, kind: "code", block, joiner, fence });
    joiner = "\n";
  }
  return end;
}

/** A table's header row and each body row as units; returns the table's last line. */
function tableUnits(lines: string[], start: number, block: number, out: Unit[]) {
  const header = { row: (lines[start] ?? "").trim(), separator: (lines[start + 1] ?? "").trim() };
  out.push({ text: header.row, kind: "table", block, joiner: "", header, isHeader: true });
  let end = start + 2;
  for (; end < lines.length && TABLE_ROW.test(lines[end] ?? ""); end++) {
    out.push({ text: (lines[end] ?? "").trim(), kind: "table", block, joiner: "\n", header });
  }
  return end - 1;
}

/** One line of text, cut into sentences where a `.`, `!` or `?` outside brackets meets a space. */
function textUnits(line: string, block: number, joiner: string, out: Unit[]) {
  let depth = 0;
  let from = 0;
  let lead = joiner;
  const text = line.trimEnd();
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "[" || c === "(") depth++;
    else if ((c === "]" || c === ")") && depth > 0) depth--;
    const gap = /^\s+/.exec(text.slice(i + 1))?.[0];
    if (depth === 0 && ".!?".includes(c) && gap !== undefined && i + 1 + gap.length < text.length) {
      out.push({ text: text.slice(from, i + 1), kind: "text", block, joiner: lead });
      lead = gap;
      from = i + 1 + gap.length;
      i += gap.length;
    }
  }
  out.push({ text: text.slice(from), kind: "text", block, joiner: lead });
}

/** The units as the model reads them, each on one line (the model numbers them by position). */
export function unitLines(units: readonly Unit[]): string[] {
  return units.map((unit) => unit.text.trim());
}

/**
 * The picked units as markdown, in page order whatever order they were picked in; numbers out of
 * range are ignored. Parts are separated by a blank line; nothing picked gives "".
 */
export function assembleHighlights(units: readonly Unit[], picked: readonly number[]): string {
  const chosen = [...new Set(picked)]
    .filter((i) => Number.isInteger(i) && i >= 0 && i < units.length)
    .sort((a, b) => a - b);
  const parts: string[] = [];
  let run: { block: number; kind: Unit["kind"]; indices: number[] } | undefined;
  const flush = () => {
    if (run) parts.push(renderRun(units, run.indices));
  };
  for (const i of chosen) {
    const unit = units[i] as Unit;
    if (run && run.block === unit.block && run.kind === unit.kind) {
      run.indices.push(i);
      continue;
    }
    flush();
    run = { block: unit.block, kind: unit.kind, indices: [i] };
  }
  flush();
  return parts.join("\n\n");
}

/** Units of one block, rebuilt: a fenced code block, a table with its header, or text. */
function renderRun(units: readonly Unit[], indices: number[]): string {
  const run = indices.map((i) => units[i] as Unit);
  const first = run[0] as Unit;
  if (first.fence) {
    return [first.fence.open, ...run.map((u) => u.text), first.fence.close].join("\n");
  }
  if (first.header) {
    const rows = run.filter((u) => !u.isHeader).map((u) => u.text);
    return [first.header.row, first.header.separator, ...rows].join("\n");
  }
  // Neighbours keep what stood between them on the page; a skipped sentence leaves one space.
  let text = first.text;
  for (let k = 1; k < run.length; k++) {
    const adjacent = indices[k - 1] === (indices[k] ?? 0) - 1;
    text += `${adjacent ? (run[k] as Unit).joiner : " "}${(run[k] as Unit).text}`;
  }
  return text;
}
