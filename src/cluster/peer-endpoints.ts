import { lookup } from "node:dns/promises";
import net from "node:net";
import type { Logger } from "../log.ts";
import type { PeerEndpoint } from "../net/egress-proxy.ts";
import type { Store } from "../store/store.ts";

/**
 * The internal ports of every node on the store, as addresses and ports, for the egress policy:
 * read again every `everyMs`, so a node that joins is refused to sessions within a heartbeat.
 * Names in internal URLs are resolved here, once per read, not at each check.
 */
export class PeerEndpoints {
  readonly #store: Store;
  readonly #logger: Logger;
  #endpoints: readonly PeerEndpoint[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(store: Store, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  get current(): readonly PeerEndpoint[] {
    return this.#endpoints;
  }

  async start(everyMs: number): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async refresh(): Promise<void> {
    try {
      const urls = (await this.#store.listNodes())
        .filter((n) => n.status !== "dead" && n.internalUrl)
        .map((n) => new URL(n.internalUrl ?? ""));
      const found = await Promise.all(urls.map((url) => endpointsOf(url)));
      this.#endpoints = found.flat();
    } catch (err) {
      this.#logger.warn(
        { err },
        "could not read the cluster's internal ports; keeping the last list",
      );
    }
  }
}

async function endpointsOf(url: URL): Promise<PeerEndpoint[]> {
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (net.isIP(host)) return [{ address: host, port }];
  const addresses = await lookup(host, { all: true }).catch(() => []);
  return addresses.map((a) => ({ address: a.address, port }));
}
