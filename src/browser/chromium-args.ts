// Kept apart from chromium.ts so that a process can use them without loading Playwright.

/** Flags every Chromium Skiff starts gets: without the first ones it floods a closed network. */
export const CHROMIUM_DEFAULT_ARGS: readonly string[] = [
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-dev-shm-usage",
  // Chromium's own sandbox needs a non-root user or user namespaces; Skiff runs as root in
  // containers, and isolation of user code comes from its bubblewrap sandbox instead.
  "--no-sandbox",
];
