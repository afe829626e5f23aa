import type { Logger } from "../log.ts";
import type { NodeIdentity } from "../store/node-identity.ts";
import type { Store } from "../store/store.ts";

export interface NodeHeartbeatOptions {
  store: Store;
  node: NodeIdentity;
  /** Where peers reach this node's sessions; null when it takes no forwarded calls (SQLite). */
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

type Hook = (nodeIds: string[]) => Promise<unknown>;

/**
 * This node's membership in the store: registered at start, a heartbeat every `heartbeatMs`,
 * and at each beat a reap of the nodes whose heartbeat lapsed `deadAfterMs` ago (the store frees
 * their slots, holds and claimed jobs in the same transaction).
 *
 * A node that finds itself declared dead (it was paused, or cut off from the store, long enough
 * for a peer to bill its sessions and requeue its jobs) fences: it stops its sessions unbilled,
 * as a peer billed them, and rejoins under a new id; its old claims fail the store's lease check.
 * A node that cannot reach the store for `deadAfterMs` fences as well, without waiting to be told.
 */
export class NodeHeartbeat {
  readonly #options: NodeHeartbeatOptions;
  readonly #onDead: Hook[] = [];
  readonly #onFenced: Hook[] = [];
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #lastBeatAt = 0;
  /** Set once fenced while the store was out of reach: rejoin when it answers again. */
  #mustRejoin = false;

  constructor(options: NodeHeartbeatOptions) {
    this.#options = options;
  }

  /** Registers the node and reaps what earlier runs or dead peers left. Call before taking work. */
  async start(): Promise<void> {
    const { store, node, internalUrl, singleNode } = this.#options;
    const now = Date.now();
    await store.registerNode({ id: node.id, internalUrl, now });
    this.#lastBeatAt = now;
    await this.#reap(singleNode ? now : now - this.#options.deadAfterMs);
    this.#timer = setInterval(() => {
      this.#beating ??= this.#beat().finally(() => (this.#beating = undefined));
    }, this.#options.heartbeatMs);
    this.#timer.unref();
  }

  /** Runs `fn` with the nodes each later reap declares dead (to end their sessions). */
  whenNodesDie(fn: Hook): void {
    this.#onDead.push(fn);
  }

  /** Runs `fn` with this node's old id when it fences, before it rejoins under a new one. */
  whenFenced(fn: Hook): void {
    this.#onFenced.push(fn);
  }

  /** Reaps lapsed nodes now rather than at the next beat: a call for one of them is waiting. */
  async reapNow(): Promise<void> {
    await this.#reap(Date.now() - this.#options.deadAfterMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#beating;
  }

  async #beat(): Promise<void> {
    const { store, node, logger } = this.#options;
    try {
      const now = Date.now();
      if (this.#mustRejoin || !(await store.heartbeatNode(node.id, now))) {
        await this.#fenceAndRejoin();
        return;
      }
      this.#lastBeatAt = now;
      await this.#reap(now - this.#options.deadAfterMs);
    } catch (err) {
      const silentMs = Date.now() - this.#lastBeatAt;
      logger.warn({ err, silentMs }, "heartbeat failed; trying again at the next beat");
      if (silentMs > this.#options.deadAfterMs && !this.#mustRejoin) {
        // Peers will declare this node dead and bill its sessions: stop them now, unbilled.
        await this.#fence("the store has been out of reach for longer than NODE_DEAD_AFTER_MS");
        this.#mustRejoin = true;
      }
    }
  }

  async #fenceAndRejoin(): Promise<void> {
    const { store, node, internalUrl, logger } = this.#options;
    if (!this.#mustRejoin) await this.#fence("a peer declared this node dead");
    const old = node.id;
    const now = Date.now();
    await store.registerNode({ id: node.renew(), internalUrl, now });
    this.#mustRejoin = false;
    this.#lastBeatAt = now;
    logger.warn({ oldNodeId: old, nodeId: node.id }, "rejoined the cluster under a new node id");
  }

  async #fence(why: string): Promise<void> {
    const { node, logger } = this.#options;
    logger.error(
      { nodeId: node.id, why },
      "fencing: stopping this node's sessions; its claims are void",
    );
    for (const fn of this.#onFenced) {
      await fn([node.id]).catch((err: unknown) => logger.error({ err }, "fencing step failed"));
    }
  }

  async #reap(heartbeatBefore: number): Promise<void> {
    const { store, node, logger } = this.#options;
    const dead = await store.reapNodes({ self: node.id, heartbeatBefore, now: Date.now() });
    if (dead.length === 0) return;
    logger.warn({ nodes: dead }, "nodes declared dead; their work requeued");
    for (const fn of this.#onDead) await fn(dead);
  }
}
