import type { Logger } from "../log.ts";
import type { Store } from "../store/store.ts";

export interface NodeHeartbeatOptions {
  store: Store;
  nodeId: string;
  /** Where peers reach this node's sessions; null until it takes forwarded calls. */
  internalUrl: string | null;
  heartbeatMs: number;
  deadAfterMs: number;
  /**
   * SQLite: one server per store, so any other node in it is an earlier run of this one, dead
   * already; its jobs are requeued at once rather than after `deadAfterMs`.
   */
  singleNode: boolean;
  logger: Logger;
}

/**
 * This node's membership in the store: registered at start, a heartbeat every `heartbeatMs`,
 * and at each beat a reap of the nodes whose heartbeat lapsed `deadAfterMs` ago (the store frees
 * their slots, holds and claimed jobs in the same transaction).
 */
export class NodeHeartbeat {
  readonly #options: NodeHeartbeatOptions;
  readonly #onDead: ((nodeIds: string[]) => Promise<unknown>)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;

  constructor(options: NodeHeartbeatOptions) {
    this.#options = options;
  }

  /** Registers the node and reaps what earlier runs or dead peers left. Call before taking work. */
  async start(): Promise<void> {
    const { store, nodeId, internalUrl, singleNode } = this.#options;
    const now = Date.now();
    await store.registerNode({ id: nodeId, internalUrl, now });
    await this.#reap(singleNode ? now : now - this.#options.deadAfterMs);
    this.#timer = setInterval(() => {
      this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
    }, this.#options.heartbeatMs);
    this.#timer.unref();
  }

  /** Runs `fn` with the nodes each later reap declares dead (to end their sessions). */
  whenNodesDie(fn: (nodeIds: string[]) => Promise<unknown>): void {
    this.#onDead.push(fn);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#beating;
  }

  async #beat(): Promise<void> {
    const { store, nodeId, logger } = this.#options;
    try {
      const now = Date.now();
      if (!(await store.heartbeatNode(nodeId, now))) {
        // Another node saw this one silent for too long and took its work back: whatever this
        // node still finishes is refused by the store (its leases are gone).
        logger.error({ nodeId }, "this node was declared dead by a peer; its claims are void");
        return;
      }
      await this.#reap(now - this.#options.deadAfterMs);
    } catch (err) {
      logger.warn({ err }, "heartbeat failed; trying again at the next beat");
    }
  }

  async #reap(heartbeatBefore: number): Promise<void> {
    const { store, nodeId, logger } = this.#options;
    const dead = await store.reapNodes({ self: nodeId, heartbeatBefore, now: Date.now() });
    if (dead.length === 0) return;
    logger.warn({ nodes: dead }, "nodes declared dead; their work requeued");
    for (const fn of this.#onDead) await fn(dead);
  }
}
