import { parse, type Node, type Program, type Statement } from "acorn";
import { IMPORT_BINDING } from "./node-worker-messages.ts";

/** A syntax error in user code, its message already formatted like Node's (with a caret). */
export class CodeSyntaxError extends Error {
  override name = "SyntaxError";
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Rewrites user code into the body of an async function: the last top-level expression
 * statement becomes its return value and `import(x)` becomes `__skiffImport(x)`. Edits keep
 * every line where it was, so stack traces point at the user's own lines.
 */
export function toFunctionBody(code: string): string {
  const program = parseProgram(code);
  const edits = importEdits(program);
  const last = lastStatement(program);
  if (last?.type === "ExpressionStatement") {
    edits.push(keepingLines(code, last.start, last.expression.start, "return ("));
    edits.push(keepingLines(code, last.expression.end, last.end, ");"));
  }
  return applyEdits(code, edits);
}

/**
 * User code as the node runtime runs it: the function body, or the syntax error to answer with.
 * The server prepares it (session-calls.ts), so that session hosts never load a parser.
 */
export function prepareNodeCode(code: string): { body: string } | { syntaxError: string } {
  try {
    return { body: toFunctionBody(code) };
  } catch (err) {
    if (!(err instanceof CodeSyntaxError)) throw err;
    return { syntaxError: err.message };
  }
}

function parseProgram(code: string): Program {
  try {
    return parse(code, {
      ecmaVersion: "latest",
      sourceType: "module",
      allowAwaitOutsideFunction: true,
    });
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw new CodeSyntaxError(syntaxMessage(code, err));
  }
}

/** "SyntaxError: Unexpected token (1:4)" followed by the offending line and a caret. */
function syntaxMessage(code: string, err: SyntaxError): string {
  const loc = (err as SyntaxError & { loc?: { line: number; column: number } }).loc;
  if (!loc) return `SyntaxError: ${err.message}`;
  const line = code.split("\n")[loc.line - 1] ?? "";
  return `interact.js:${loc.line}\n${line}\n${" ".repeat(loc.column)}^\n\nSyntaxError: ${err.message}`;
}

function lastStatement(program: Program): Statement | undefined {
  const statements = program.body.filter((s) => s.type !== "EmptyStatement");
  const last = statements.at(-1);
  return last && last.type !== "ImportDeclaration" && !last.type.startsWith("Export")
    ? (last as Statement)
    : undefined;
}

/** Every `import(` keyword, found by walking the whole tree (they may sit in nested functions). */
function importEdits(program: Program): Edit[] {
  const edits: Edit[] = [];
  walk(program, (node) => {
    if (node.type === "ImportExpression") {
      edits.push({ start: node.start, end: node.start + "import".length, text: IMPORT_BINDING });
    }
  });
  return edits;
}

function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  for (const value of Object.values(node) as unknown[]) {
    const children = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const child of children) {
      if (isNode(child)) walk(child, visit);
    }
  }
}

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && typeof (value as Node).type === "string";
}

/** Replaces code[start, end) with text plus the newlines it removes, so lines do not shift. */
function keepingLines(code: string, start: number, end: number, text: string): Edit {
  return { start, end, text: text + code.slice(start, end).replace(/[^\n]/g, "") };
}

function applyEdits(code: string, edits: Edit[]): string {
  let out = code;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}
