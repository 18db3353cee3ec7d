/**
 * Where webhook deliveries may go. Tally POSTs to URLs that staff type in and keeps the start of each
 * answer, so an endpoint pointed at a cloud metadata service (169.254.169.254) would read its credentials
 * into the admin UI. Link-local, unspecified and multicast addresses are therefore always refused. Private
 * networks and loopback are allowed by default, because a self-hosted Tally often delivers to services
 * beside it; TALLY_WEBHOOK_PRIVATE_NETWORKS=deny refuses them too. The check runs on every address a host
 * name resolves to, at each attempt (a name that later resolves elsewhere is caught then).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { invalid } from '../../shared/errors.js';

export type PrivateNetworks = 'allow' | 'deny';

/** A TALLY_WEBHOOK_PRIVATE_NETWORKS value: `allow` (the default when unset) or `deny`, any case. */
export function parsePrivateNetworks(raw: string | undefined): PrivateNetworks {
  const v = raw?.trim().toLowerCase() ?? '';
  if (v === '' || v === 'allow') return 'allow';
  if (v === 'deny') return 'deny';
  throw invalid('invalid_setting', `TALLY_WEBHOOK_PRIVATE_NETWORKS must be 'allow' or 'deny', got '${raw}'.`, 'TALLY_WEBHOOK_PRIVATE_NETWORKS');
}

/** The policy in force (readSettings has refused a bad value at start-up). */
export function privateNetworksSetting(env: NodeJS.ProcessEnv = process.env): PrivateNetworks {
  return parsePrivateNetworks(env.TALLY_WEBHOOK_PRIVATE_NETWORKS);
}

const ranges = (list: [string, number, 'ipv4' | 'ipv6'][]): BlockList => {
  const b = new BlockList();
  for (const [net, prefix, type] of list) b.addSubnet(net, prefix, type);
  return b;
};

/** Never a webhook receiver: link-local (cloud metadata), "this network", multicast, broadcast. */
const ALWAYS_REFUSED = ranges([
  ['169.254.0.0', 16, 'ipv4'],
  ['0.0.0.0', 8, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['255.255.255.255', 32, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
  ['::', 128, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
  ['fd00:ec2::254', 128, 'ipv6'], // the AWS metadata service over IPv6
]);

/** Loopback and private networks: refused only with TALLY_WEBHOOK_PRIVATE_NETWORKS=deny. */
const PRIVATE = ranges([
  ['127.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
]);

/** Why `address` (an IP literal) may not receive webhooks under `policy`, or null when it may. */
export function refusedAddress(address: string, policy: PrivateNetworks): string | null {
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (ALWAYS_REFUSED.check(address, type)) return `${address} is a link-local, unspecified or multicast address`;
  if (policy === 'deny' && PRIVATE.check(address, type)) return `${address} is a loopback or private address (TALLY_WEBHOOK_PRIVATE_NETWORKS=deny)`;
  return null;
}

/** The host of a URL as an IP literal, or null when it is a name ([::1] → ::1). */
export function literalAddress(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}

export type Lookup = (host: string) => Promise<string[]>;

const systemLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Why a delivery to `url` is refused, or null when every address its host resolves to may receive it.
 * A name that does not resolve is left to the request itself, which then fails with the resolver's error.
 */
export async function refusedDestination(url: string, policy: PrivateNetworks, lookup: Lookup = systemLookup): Promise<string | null> {
  const u = new URL(url);
  const literal = literalAddress(u);
  let addresses: string[];
  if (literal) addresses = [literal];
  else {
    try {
      addresses = await lookup(u.hostname);
    } catch {
      return null;
    }
  }
  for (const a of addresses) {
    const why = refusedAddress(a, policy);
    if (why) return literal ? why : `${u.hostname} resolves to ${why}`;
  }
  return null;
}
