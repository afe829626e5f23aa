import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** Resolves a host name to its addresses; injectable so tests need no DNS. */
export type Resolver = (hostname: string, signal: AbortSignal) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((a) => a.address);
};

const V4_BLOCKED: [string, number][] = [
  ["0.0.0.0", 8], // "this" network, unspecified
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, incl. the 169.254.169.254 metadata service
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, incl. broadcast
];
const V6_BLOCKED: [string, number][] = [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["fc00::", 7], // unique-local, incl. fd00:ec2::254 metadata
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
];

const blocked = new BlockList();
for (const [net, prefix] of V4_BLOCKED) blocked.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of V6_BLOCKED) blocked.addSubnet(net, prefix, "ipv6");

/** True for loopback, private, link-local, CGNAT, multicast, unspecified and metadata addresses. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1]) return blocked.check(mapped[1], "ipv4");
  const family = isIP(bare);
  if (family === 0) return false;
  return blocked.check(bare, family === 4 ? "ipv4" : "ipv6");
}

export type TargetVerdict =
  | { kind: "allowed" }
  | { kind: "blocked"; address: string }
  | { kind: "unresolved"; hostname: string };

/**
 * Decides whether Skiff may fetch `url`: resolves its host and refuses private addresses
 * unless `allowPrivate`. The browser resolves again on its own; the egress proxy closes that gap.
 */
export async function checkTarget(
  url: URL,
  opts: { allowPrivate: boolean; resolve: Resolver; signal: AbortSignal },
): Promise<TargetVerdict> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await opts.resolve(host, opts.signal);
    } catch {
      return { kind: "unresolved", hostname: host };
    }
    if (addresses.length === 0) return { kind: "unresolved", hostname: host };
  }
  if (opts.allowPrivate) return { kind: "allowed" };
  const bad = addresses.find(isPrivateAddress);
  return bad ? { kind: "blocked", address: bad } : { kind: "allowed" };
}
