// Where a tenant's webhook may point. The control plane runs inside the platform's network, so a
// tenant-chosen URL that resolves to a private, loopback or link-local address would let a tenant
// make it POST into that network (SSRF). Deliveries go to public addresses only, checked on every
// attempt after resolving the name (a name can change what it points at), unless the operator of
// the platform allows private receivers (tests, the local platform, an on-premises receiver).
// What this does not stop: a name that resolves differently between the check and the connection
// (DNS rebinding within a TTL); an egress proxy or NetworkPolicy is the place for that.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** True for an address deliveries must not go to. Pure. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6 && address.toLowerCase().startsWith('::ffff:')) {
    const mapped = address.slice(7);
    if (isIP(mapped) === 4) return blocked.check(mapped, 'ipv4');
  }
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Undefined when `url` may receive deliveries, otherwise why not. Resolves the host (every address
 * it has must be public). `allowPrivate` lifts the rule.
 */
export async function receiverRefusal(
  url: string,
  { allowPrivate = false, resolve = lookup }: { allowPrivate?: boolean; resolve?: typeof lookup } = {},
): Promise<string | undefined> {
  if (allowPrivate) return undefined;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await resolve(host, { all: true })).map((a) => a.address);
  } catch (error) {
    return `the receiver's name ${host} does not resolve (${(error as { code?: string }).code ?? 'error'})`;
  }
  const inside = addresses.filter(isPrivateAddress);
  if (inside.length === 0) return undefined;
  return `the receiver ${host} resolves to a private address (${inside.join(', ')}); deliveries go to public addresses only unless CONTROL_PLANE_WEBHOOK_ALLOW_PRIVATE is true`;
}
