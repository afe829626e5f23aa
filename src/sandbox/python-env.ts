import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
/** Where `./skiff` makes the virtual environment (python/requirements.lock). */
export const PYTHON_ENV_DIR = path.join(PROJECT_ROOT, ".skiff", "python");

export type PythonEnv = { path: string; binds: string[] } | { problem: string };

const SETUP_HINT = "./skiff setup installs it into .skiff/python from PyPI";

/**
 * The virtual environment's Python with Playwright for Python at playwright-core's version, and
 * the host folders a sandbox needs to run it; or, for python calls to answer, what is missing.
 */
export function playwrightPython(envDir: string = PYTHON_ENV_DIR): PythonEnv {
  const python = path.join(envDir, "bin", "python");
  if (!existsSync(python))
    return { problem: `Python's virtual environment is missing (${SETUP_HINT})` };
  const installed = playwrightVersion(envDir);
  if (installed === undefined) {
    return { problem: `Playwright for Python is not installed (${SETUP_HINT})` };
  }
  const wanted = playwrightCoreVersion();
  if (installed !== wanted) {
    return {
      problem: `Playwright for Python is ${installed}, but Skiff's playwright-core is ${wanted} (${SETUP_HINT})`,
    };
  }
  return { path: python, binds: [envDir, ...baseInstallation(envDir)] };
}

/** The version in the playwright package's dist-info folder, if there is one. */
function playwrightVersion(envDir: string): string | undefined {
  const lib = path.join(envDir, "lib");
  for (const version of existsSync(lib) ? readdirSync(lib) : []) {
    const sitePackages = path.join(lib, version, "site-packages");
    const info = existsSync(sitePackages)
      ? readdirSync(sitePackages).find((name) => /^playwright-[\d.]+\.dist-info$/.test(name))
      : undefined;
    if (info) return /^playwright-([\d.]+)\.dist-info$/.exec(info)?.[1];
  }
  return undefined;
}

function playwrightCoreVersion(): string {
  const require = createRequire(import.meta.url);
  return (require("playwright-core/package.json") as { version: string }).version;
}

/**
 * A venv links to the Python it was made from (pyvenv.cfg's `home`). Debian's lives under /usr,
 * which every sandbox sees; another (pyenv's, say) needs its installation bound too.
 */
function baseInstallation(envDir: string): string[] {
  const config = readFileSync(path.join(envDir, "pyvenv.cfg"), "utf8");
  const home = /^home\s*=\s*(.+)$/m.exec(config)?.[1]?.trim();
  if (!home || home.startsWith("/usr/") || home === "/usr" || home === "/bin") return [];
  return [path.dirname(home)];
}
