import { randomUUID } from "node:crypto";

/**
 * This process as a node of the store: the id its heartbeat, session rows, team slots, credit
 * holds and job leases carry. A node that finds itself declared dead (it was paused or cut off
 * while a peer freed all it held) takes a new id to rejoin, so nothing it held before can be
 * mistaken for what it holds after.
 */
export class NodeIdentity {
  #id: string;

  constructor(id: string = randomUUID()) {
    this.#id = id;
  }

  get id(): string {
    return this.#id;
  }

  /** A new id, for rejoining; the old one stays dead. */
  renew(): string {
    this.#id = randomUUID();
    return this.#id;
  }
}
