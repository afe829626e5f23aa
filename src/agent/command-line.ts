/**
 * What the agent's `browser` tool may run: one agent-browser command line, split into words
 * here (quotes and backslashes as a shell reads them) and never given to a shell. Anything a
 * shell would treat as more than one command is refused, as are subcommands that would leave
 * the session's page, open tabs, or reconfigure the browser.
 */
export type ParsedCommand =
  { ok: true; args: string[]; navigatesTo?: string } | { ok: false; reason: string };

/** Characters that mean shell syntax when unquoted: pipes, lists, redirections, substitutions. */
const SHELL_SYNTAX = new Set(["|", ";", "&", "<", ">", "`", "$", "(", ")", "\n", "\r"]);

/** Subcommands the agent may use, with the sub-actions allowed where there are several. */
const ALLOWED: Readonly<Record<string, ReadonlySet<string> | "any">> = {
  snapshot: "any",
  click: "any",
  dblclick: "any",
  type: "any",
  fill: "any",
  press: "any",
  keyboard: new Set(["type", "inserttext"]),
  hover: "any",
  focus: "any",
  check: "any",
  uncheck: "any",
  select: "any",
  drag: "any",
  scroll: "any",
  scrollintoview: "any",
  wait: "any",
  get: new Set(["text", "html", "value", "attr", "title", "url", "count", "box", "styles"]),
  is: "any",
  find: "any",
  mouse: "any",
  back: "any",
  forward: "any",
  reload: "any",
  open: "any",
  tab: new Set(["list"]),
};

/** Flags that are the command's own options; every other flag (--cdp, --session, …) is refused. */
const ALLOWED_FLAGS = new Set([
  "-i",
  "--interactive",
  "-c",
  "--compact",
  "-d",
  "--depth",
  "-s",
  "--selector",
  "--json",
  "--exact",
  "--name",
]);

export function parseBrowserCommand(line: string): ParsedCommand {
  const words = splitWords(line.trim());
  if (!Array.isArray(words)) return { ok: false, reason: words.reason };
  const args = words[0] === "agent-browser" ? words.slice(1) : words;
  const [command, action] = args;
  if (command === undefined) return { ok: false, reason: "The command is empty." };
  const allowed = ALLOWED[command];
  if (allowed === undefined) {
    return { ok: false, reason: `'${command}' is not available: ${policyHint()}` };
  }
  if (allowed !== "any" && (action === undefined || !allowed.has(action))) {
    const what = action === undefined ? command : `${command} ${action}`;
    return { ok: false, reason: `'${what}' is not available: ${policyHint()}` };
  }
  const flag = args.find(
    (arg) => arg.startsWith("-") && !/^-\d/.test(arg) && !ALLOWED_FLAGS.has(arg),
  );
  if (flag !== undefined) return { ok: false, reason: `The flag '${flag}' is not allowed.` };
  if (command === "open") return openCommand(args);
  return { ok: true, args };
}

/** `open` stays on the page's own site; the caller checks the origin against the current URL. */
function openCommand(args: string[]): ParsedCommand {
  const target = args[1];
  if (target === undefined || args.length > 2) {
    return { ok: false, reason: "'open' takes exactly one URL." };
  }
  return { ok: true, args, navigatesTo: target };
}

function policyHint(): string {
  return "only commands that read or act on the current page are allowed (no new tabs, no other sites).";
}

/** Shell-style word splitting without expansion; unquoted shell syntax is an error. */
export function splitWords(line: string): string[] | { reason: string } {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (ch === " " || ch === "\t") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === "'" || ch === '"') {
      const end = closingQuote(line, i);
      if (end < 0) return { reason: `Unclosed ${ch} quote.` };
      word = (word ?? "") + unquote(line.slice(i + 1, end), ch);
      i = end;
    } else if (ch === "\\") {
      word = (word ?? "") + line.charAt(++i);
    } else if (SHELL_SYNTAX.has(ch)) {
      return { reason: oneCommandOnly(ch) };
    } else {
      word = (word ?? "") + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function closingQuote(line: string, open: number): number {
  const quote = line.charAt(open);
  for (let i = open + 1; i < line.length; i++) {
    if (quote === '"' && line.charAt(i) === "\\") i++;
    else if (line.charAt(i) === quote) return i;
  }
  return -1;
}

/** Inside double quotes a backslash escapes `"` and `\`; single quotes take everything as is. */
function unquote(text: string, quote: string): string {
  return quote === '"' ? text.replace(/\\(["\\])/g, "$1") : text;
}

function oneCommandOnly(ch: string): string {
  const shown = ch === "\n" || ch === "\r" ? "a line break" : `'${ch}'`;
  return `Only one agent-browser command is allowed, with no shell syntax: ${shown} is not allowed (quote it if it is part of a text).`;
}
