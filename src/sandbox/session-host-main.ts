// What a sandbox runs: a session host (session-host.ts) whose node runtime's worker starts first.
// That worker's load of Playwright is the longest part of a session's start, and the host's own
// modules then take another 50–80 ms to load (measured in a sandbox, from Node's bootstrap to the
// host's constructor), during which the worker is already at work. Usage as session-host.ts's.
import { pickContentPage } from "../runtimes/replay.ts";
import { startWorkerThread, workerSetup } from "../runtimes/worker-thread.ts";

if (import.meta.main) {
  const thread = startWorkerThread(workerSetup({ pickPage: pickContentPage }));
  const { runSessionHost } = await import("./session-host.ts");
  await runSessionHost(process.argv.slice(2), thread);
}
