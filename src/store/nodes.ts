/** A server process sharing the store with others (on SQLite, one at a time). */
export interface NodeRow {
  id: string;
  /** Where peers forward calls for the sessions it owns; null when it takes none. */
  internalUrl: string | null;
  startedAt: number;
  heartbeatAt: number;
  status: "alive" | "dead";
}

export interface ReapRequest {
  /** The reaping node, never declared dead by itself. */
  self: string;
  /** Alive nodes whose last heartbeat is older than this are dead. */
  heartbeatBefore: number;
  now: number;
}

/**
 * The nodes on one store and what happens when one dies. Each node writes a heartbeat; the first
 * live node to see one lapse declares it dead, and in the same transaction frees what it held —
 * its team slots and credit holds, and its claimed jobs, which go back to the queue — so that a
 * dead node's work is neither lost nor done twice. Its sessions are ended by the caller, through
 * the store's one end claim, so they are billed once.
 */
export interface NodeRegistry {
  registerNode(node: { id: string; internalUrl: string | null; now: number }): Promise<void>;
  /** False when the node has been declared dead meanwhile: it must fence itself and rejoin. */
  heartbeatNode(id: string, now: number): Promise<boolean>;
  /** The ids of the nodes this call declared dead (each is declared by one caller only). */
  reapNodes(request: ReapRequest): Promise<string[]>;
  listNodes(): Promise<NodeRow[]>;
}
