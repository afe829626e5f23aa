// Playwright's bundles run, at load, code a session never uses: its MCP server and tools, its
// command line and its remote server, and with them the MCP SDK, zod (hundreds of schemas built
// at load), hono and Node's fetch (undici, loaded when hono reads `Request`). Sandboxes see copies
// of the bundles (sandbox-bundles.ts) in which that code runs the first time something asks for
// it, never otherwise. Measured: in a worker thread with the code cache (8 interleaved loads),
// loading Playwright 174 -> 104 ms, 226 -> 135 ms of CPU, 7 MB less heap; over bursts of ten
// sessions (five interleaved pairs), a session host's CPU 574 -> 471 ms a session (mean).
//
// Both edits read esbuild's output as it is and check it first; where a bundle is not shaped as
// expected (another Playwright), the copy is the bundle unchanged and the problem is reported.
//
// - The core bundle's entry initialises each of its parts in turn (`init_x()`, esbuild's `__esm`).
//   The parts a session does not use are left out of it and initialised by their export's getter.
// - The utilities bundle is flat (esbuild hoists its ES modules into one scope): the statements of
//   the packages below move into one function, run by the first getter of an export they declare.
//   Their names stay declared in the bundle's scope, so its other code is unchanged; nothing else
//   may read those names (checked), so nothing can see them before that function has run.
import {
  parse,
  type Comment,
  type Identifier,
  type ModuleDeclaration,
  type Statement,
} from "acorn";

/** A bundle's source for sandboxes, or why it stays as it is. */
export type Edited = { source: string } | { problem: string };

/** Core exports sessions do not use: the command line, the remote server, the MCP tools. */
const DEFERRED_CORE_EXPORTS = ["libCli", "libCliTestStub", "remote", "tools"];

/** `var init_coreBundle = __esm({ "…/coreBundle.ts"() { init_a(); init_b(); … } });` */
const CORE_ENTRY = new RegExp(
  String.raw`\nvar init_coreBundle = __esm\(\{\n {2}"packages/playwright-core/src/coreBundle\.ts"` +
    String.raw`\(\) \{\n((?: {4}init_\w+\(\);\n)+) {2}\}\n\}\);\n`,
);

/** The core bundle with the parts behind DEFERRED_CORE_EXPORTS initialised on first use. */
export function deferCoreParts(source: string): Edited {
  const entry = CORE_ENTRY.exec(source);
  const exportsStart = source.lastIndexOf("\n__export(coreBundle_exports, {\n");
  const exportsEnd = source.indexOf("\n});\n", exportsStart);
  if (!entry || exportsStart < 0 || exportsEnd > entry.index) return { problem: "no entry" };
  let getters = source.slice(exportsStart, exportsEnd);
  let inits = entry[1]!;
  for (const name of DEFERRED_CORE_EXPORTS) {
    const part = new RegExp(`\\n {2}${name}: \\(\\) => (\\w+_exports)\\b`).exec(getters)?.[1];
    // A part's init is the next one after its exports object (`var x_exports = {};`).
    const declared = part ? source.indexOf(`\nvar ${part} = {};\n`) : -1;
    const nextInit = /\nvar (init_\w+) = __esm\(/g;
    nextInit.lastIndex = declared;
    const init = declared < 0 ? undefined : nextInit.exec(source)?.[1];
    if (!init || !inits.includes(`    ${init}();\n`)) return { problem: `no part for ${name}` };
    inits = inits.replace(`    ${init}();\n`, "");
    getters = getters.replace(
      `\n  ${name}: () => ${part}`,
      `\n  ${name}: () => (${init}(), ${part})`,
    );
  }
  return {
    source:
      source.slice(0, exportsStart) +
      getters +
      source.slice(exportsEnd, entry.index) +
      entry[0].replace(entry[1]!, inits) +
      source.slice(entry.index + entry[0].length),
  };
}

/** Packages of the utilities bundle that only deferred parts use (the MCP SDK and its own). */
const DEFERRED_PACKAGES = new RegExp(
  "^node_modules/(@modelcontextprotocol/sdk|zod|zod-to-json-schema|hono|@hono/node-server" +
    "|eventsource|eventsource-parser|pkce-challenge)/",
);
const INIT = "__skiffDeferredInit";

interface TopLevel {
  node: Statement | ModuleDeclaration;
  /** The file esbuild took it from. */
  module: string;
  declares: string[];
}

/** The utilities bundle with DEFERRED_PACKAGES' code run by the first getter that needs it. */
export function deferUtilityPackages(source: string): Edited {
  if (source.includes(INIT)) return { problem: `${INIT} is taken` };
  const comments: Comment[] = [];
  const program = parse(source, {
    ecmaVersion: "latest",
    sourceType: "script",
    allowReturnOutsideFunction: true,
    onComment: comments,
  });
  // esbuild starts each module's code with a line comment naming its file.
  const starts = comments
    .filter((c) => c.type === "Line" && /^ (node_modules|packages)\/\S+$/.test(c.value))
    .map((c) => ({ at: c.start, module: c.value.trim() }));
  let next = 0;
  let module = "";
  const statements: TopLevel[] = program.body.map((node) => {
    while (next < starts.length && starts[next]!.at < node.start) module = starts[next++]!.module;
    return { node, module, declares: declaredNames(node) };
  });
  const deferred = new Set(statements.filter((s) => DEFERRED_PACKAGES.test(s.module)));
  const getters = exportGetters(statements);
  if (deferred.size === 0 || !getters) return { problem: "no deferred packages or exports" };

  // Nothing outside the deferred statements reads their names, but the exports' getters.
  const deferredNames = new Set([...deferred].flatMap((s) => s.declares));
  const deferredGetters = getters.filter((g) => deferredNames.has(g.name));
  const gettersRead = new Set<unknown>(deferredGetters);
  const declaredAt = new Map<string, number>();
  for (const s of statements) {
    if (deferred.has(s)) continue;
    for (const name of s.declares) {
      if (deferredNames.has(name)) return { problem: `${name} is declared twice` };
      if (s.node.type === "VariableDeclaration") declaredAt.set(name, s.node.start);
    }
    const leak = [...namesIn(s.node, gettersRead)].find((name) => deferredNames.has(name));
    if (leak) return { problem: `${leak} is read outside its package (${s.module})` };
  }

  const functions: string[] = [];
  const rest: string[] = [];
  for (const { node, module } of deferred) {
    // Run later, a statement must read what it read at load: no variable declared after it.
    const late = [...namesIn(node)].find((name) => (declaredAt.get(name) ?? -1) > node.start);
    if (late) return { problem: `${late} is declared after ${module} reads it` };
    const text = source.slice(node.start, node.end);
    if (node.type === "FunctionDeclaration") {
      functions.push(`${node.id.name} = ${text};`); // as hoisted as it was
    } else if (node.type === "ClassDeclaration") {
      rest.push(`${node.id.name} = ${text};`);
    } else if (node.type === "VariableDeclaration") {
      for (const { id, init } of node.declarations) {
        if (id.type !== "Identifier") return { problem: `a pattern in ${module}` };
        if (init) rest.push(`${id.name} = ${source.slice(init.start, init.end)};`);
      }
    } else if (node.type === "ExpressionStatement") {
      rest.push(text);
    } else {
      return { problem: `a ${node.type} in ${module}` };
    }
  }

  const edits = [
    ...[...deferred].map(({ node }) => ({ start: node.start, end: node.end, text: "" })),
    ...deferredGetters.map((g) => ({ start: g.start, end: g.end, text: `(${INIT}(), ${g.name})` })),
  ].sort((a, b) => a.start - b.start);
  let edited = "";
  let at = 0;
  for (const edit of edits) {
    edited += source.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  const end = program.body.at(-1)!.end;
  // A failed run fails every later getter the same way, as a failed require would.
  const init = [
    `var ${[...deferredNames].join(", ")};`,
    `var ${INIT}State = 0, ${INIT}Error;`,
    `function ${INIT}() {`,
    `  if (${INIT}State === 1) return;`,
    `  if (${INIT}State === 2) throw ${INIT}Error;`,
    `  ${INIT}State = 1;`,
    `  try {`,
    ...functions,
    ...rest,
    `  } catch (error) {`,
    `    ${INIT}State = 2;`,
    `    ${INIT}Error = error;`,
    `    throw error;`,
    `  }`,
    `}`,
  ].join("\n");
  return { source: `${edited}${source.slice(at, end)}\n${init}\n${source.slice(end)}` };
}

/**
 * The bodies of the bundle's export getters, `__export(utilsBundle_exports, { name: () => name })`
 * in its own module's code.
 */
function exportGetters(statements: TopLevel[]): Identifier[] | undefined {
  const exports = statements.find(
    ({ node, module }) =>
      module === "packages/playwright-core/src/utilsBundle.ts" &&
      node.type === "ExpressionStatement" &&
      node.expression.type === "CallExpression" &&
      node.expression.callee.type === "Identifier" &&
      node.expression.callee.name === "__export",
  )?.node;
  if (exports?.type !== "ExpressionStatement" || exports.expression.type !== "CallExpression")
    return undefined;
  const all = exports.expression.arguments[1];
  if (all?.type !== "ObjectExpression") return undefined;
  return all.properties.flatMap((p) =>
    p.type === "Property" &&
    p.value.type === "ArrowFunctionExpression" &&
    p.value.body.type === "Identifier"
      ? [p.value.body]
      : [],
  );
}

function declaredNames(node: Statement | ModuleDeclaration): string[] {
  if (node.type === "FunctionDeclaration" || node.type === "ClassDeclaration")
    return [node.id.name];
  if (node.type !== "VariableDeclaration") return [];
  return node.declarations.flatMap((d) => [...namesIn(d.id)]);
}

type Walked = Record<string, unknown> & { type?: unknown };

/**
 * Every name `node` mentions as a variable (or declares), whichever scope it means: esbuild gives
 * the bundle's top-level names their own spelling, so a local of the same name only makes the
 * checks above stricter. Nodes in `skip` are not read.
 */
function namesIn(node: unknown, skip = new Set<unknown>(), names = new Set<string>()): Set<string> {
  if (node === null || typeof node !== "object" || skip.has(node)) return names;
  if (Array.isArray(node)) {
    for (const child of node) namesIn(child, skip, names);
    return names;
  }
  const n = node as Walked;
  const walk = (...children: unknown[]) => children.forEach((c) => namesIn(c, skip, names));
  switch (n.type) {
    case "Identifier":
      names.add(n.name as string);
      return names;
    case "MemberExpression":
      walk(n.object, n.computed ? n.property : undefined);
      return names;
    case "Property":
    case "MethodDefinition":
    case "PropertyDefinition":
      walk(n.computed ? n.key : undefined, n.value);
      return names;
    case "LabeledStatement":
      walk(n.body);
      return names;
    case "BreakStatement":
    case "ContinueStatement":
    case "MetaProperty":
      return names;
    case "LogicalExpression": {
      // `0 && (module.exports = {...})`: export names for Node's loader, never run
      const left = n.left as Walked;
      if (n.operator === "&&" && left.type === "Literal" && left.value === 0) return names;
    }
  }
  for (const key in n) if (key !== "type") walk(n[key]);
  return names;
}
