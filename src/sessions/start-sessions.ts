import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BrowserAgent } from "../agent/browser-agent.ts";
import type { LlmModel } from "../agent/llm-provider.ts";
import type { Credits } from "../billing/credits.ts";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { EgressProxy } from "../net/egress-proxy.ts";
import type { ProfileVault } from "../profiles/profile-vault.ts";
import { killProcessGroup } from "../runtimes/process-group.ts";
import { agentBrowserBinary } from "../sandbox/agent-browser.ts";
import { prepareHostCode, type HostCode } from "../sandbox/compile-cache.ts";
import { launchSessionHost } from "../sandbox/host-launcher.ts";
import { playwrightPython } from "../sandbox/python-env.ts";
import { detectSandboxMode, type SandboxMode } from "../sandbox/sandbox-launcher.ts";
import type { Store } from "../store/store.ts";
import { HostPool } from "./host-pool.ts";
import {
  killSessionHost,
  processIsAlive,
  reapOrphanHosts,
  reapOrphanSessions,
} from "./orphan-reaper.ts";
import { SessionManager } from "./session-manager.ts";
import type { SessionStarts } from "./session-starts.ts";
import type { NodeIdentity } from "../store/node-identity.ts";

/** A host's memory, rounded up from an idle session's ~150–200 MB PSS (`./skiff bench`). */
const HOST_MEMORY_BYTES = 250 * 1024 * 1024;
/** How long a launch for a waiting session holds its turn: ~10× a start during a burst here. */
const ON_DEMAND_TURN_MS = 10_000;
/** The warm pool grows only into this share of the memory available. */
const POOL_MEMORY_SHARE = 0.5;

/** How many more session hosts the warm pool may launch into the memory available now. */
function hostsThatFit(): number {
  return Math.floor((process.availableMemory() * POOL_MEMORY_SHARE) / HOST_MEMORY_BYTES);
}

export interface Sessions {
  manager: SessionManager;
  mode: SandboxMode;
  pool: HostPool;
}

/**
 * Everything interact needs, in order: pick the sandbox, end what a previous run left behind,
 * then a warm pool of hosts under `DATA_DIR/sessions/<pid>/` and the manager on top.
 */
export async function startSessions(
  config: Config,
  store: Store,
  profiles: ProfileVault,
  egress: EgressProxy,
  logger: Logger,
  llm: LlmModel | undefined,
  credits: Credits,
  node: NodeIdentity,
  starts: SessionStarts,
): Promise<Sessions> {
  const log = logger.child({ component: "sessions" });
  const mode = await detectSandboxMode(config.SANDBOX, log);
  if (mode === "none") {
    log.warn(
      "SANDBOX=none: interact sessions are NOT isolated; user code runs as this server's user",
    );
  }
  const sessionsRoot = path.join(config.DATA_DIR, "sessions");
  await reapOrphanHosts({
    sessionsRoot,
    logger: log,
    isAlive: processIsAlive,
    killGroup: killProcessGroup,
  });
  const dead = (await store.listNodes()).filter((n) => n.status === "dead").map((n) => n.id);
  await reapOrphanSessions({
    store,
    logger: log,
    now: Date.now(),
    isAlive: processIsAlive,
    kill: killSessionHost,
    deadNodes: new Set(dead),
    killNodeHosts: config.DATABASE_URL === undefined,
  });
  const agentBrowser = agentBrowserBinary();
  if ("problem" in agentBrowser)
    log.warn(`bash interact calls are unavailable: ${agentBrowser.problem}`);
  const python = playwrightPython();
  if ("problem" in python) log.warn(`python interact calls are unavailable: ${python.problem}`);
  const parentDir = path.join(sessionsRoot, String(process.pid));
  mkdirSync(parentDir, { recursive: true, mode: 0o700 });
  let hostCode: Promise<HostCode | undefined> | undefined;
  const pool = new HostPool({
    size: config.SESSION_WARM_POOL,
    maxSize: config.SESSION_WARM_POOL_MAX,
    memoryRoom: hostsThatFit,
    maxLaunching: os.availableParallelism(),
    maxOnDemand: os.availableParallelism(),
    onDemandTurnMs: ON_DEMAND_TURN_MS,
    demandMemoryMs: config.SESSION_WARM_POOL_IDLE_SECONDS * 1000,
    logger: log,
    launch: async () =>
      launchSessionHost({
        hostCode: await (hostCode ??= prepareHostCode(
          path.join(parentDir, "host-code"),
          mode,
          log,
          config.CHROME_PATH,
        )),
        mode,
        chromePath: config.CHROME_PATH,
        parentDir,
        logger: log,
        proxy: egress,
        agentBrowser: "path" in agentBrowser ? agentBrowser.path : undefined,
        python,
      }),
  });
  const manager = new SessionManager({
    limits: config,
    store,
    profiles,
    hosts: pool,
    agent: llm && new BrowserAgent(llm),
    credits,
    teamConcurrency: config.AUTH === "keys" ? config.TEAM_MAX_CONCURRENT_SESSIONS : undefined,
    logger: log,
    node,
    starts,
  });
  return { manager, mode, pool };
}
