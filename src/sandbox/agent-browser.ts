import { accessSync, chmodSync, constants, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { arch } from "node:os";
import path from "node:path";

/**
 * The agent-browser CLI's native binary, from its npm package, made executable. The package's
 * install script would do that, but Skiff does not run install scripts (and that one can also
 * download), so the server does it at start. Undefined, with the reason, when it cannot be used.
 */
export function agentBrowserBinary(): { path: string } | { problem: string } {
  let packageDir: string;
  try {
    const require = createRequire(import.meta.url);
    packageDir = path.dirname(require.resolve("agent-browser/package.json"));
  } catch {
    return { problem: "the agent-browser npm package is not installed" };
  }
  const binary = path.join(packageDir, "bin", `agent-browser-linux-${arch()}`);
  if (!existsSync(binary)) return { problem: `agent-browser has no binary for linux-${arch()}` };
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    try {
      chmodSync(binary, 0o755);
    } catch (err) {
      return { problem: `cannot make ${binary} executable: ${(err as Error).message}` };
    }
  }
  return { path: binary };
}
