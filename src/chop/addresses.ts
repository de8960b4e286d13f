/**
 * Which IP addresses CanCan may send a merchant's IPN to. Every address is
 * one of: `public` (always allowed), `local` (loopback and private ranges:
 * allowed only with CANCAN_ALLOW_PRIVATE_URLS, for local development) or
 * `forbidden` (never: link-local, cloud metadata, multicast, reserved,
 * documentation…). IPv6 addresses that carry an IPv4 address (mapped,
 * compatible, NAT64, 6to4, Teredo) are judged by that IPv4 address, since
 * that is where a packet to them may end up.
 */
import { isIP } from 'node:net';

export type AddressKind = 'public' | 'local' | 'forbidden';

export interface Verdict {
  readonly kind: AddressKind;
  /** What the address is, for messages: "loopback", "IPv4-mapped address of 127.0.0.1, loopback". */
  readonly what: string;
}

type Range = readonly [network: string, prefix: number, kind: AddressKind, what: string];

/** First match wins; an IPv4 address in none of them is public. */
const IPV4_RANGES: readonly Range[] = [
  ['0.0.0.0', 8, 'forbidden', 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'local', 'private'],
  ['100.64.0.0', 10, 'local', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'local', 'loopback'],
  ['169.254.0.0', 16, 'forbidden', 'link-local'],
  ['172.16.0.0', 12, 'local', 'private'],
  ['192.0.0.0', 24, 'forbidden', 'reserved (IETF protocol assignments)'],
  ['192.0.2.0', 24, 'forbidden', 'documentation'],
  ['192.88.99.0', 24, 'forbidden', 'reserved (6to4 relay anycast)'],
  ['192.168.0.0', 16, 'local', 'private'],
  ['198.18.0.0', 15, 'forbidden', 'benchmarking'],
  ['198.51.100.0', 24, 'forbidden', 'documentation'],
  ['203.0.113.0', 24, 'forbidden', 'documentation'],
  ['224.0.0.0', 4, 'forbidden', 'multicast'],
  ['255.255.255.255', 32, 'forbidden', 'broadcast'],
  ['240.0.0.0', 4, 'forbidden', 'reserved'],
];

/** First match wins, after the IPv4-carrying forms; outside 2000::/3 (global unicast) nothing is public. */
const IPV6_RANGES: readonly Range[] = [
  ['::1', 128, 'local', 'loopback'],
  ['::', 128, 'forbidden', 'unspecified'],
  ['fc00::', 7, 'local', 'unique local (private)'],
  ['fe80::', 10, 'forbidden', 'link-local'],
  ['fec0::', 10, 'forbidden', 'site-local'],
  ['ff00::', 8, 'forbidden', 'multicast'],
  ['100::', 64, 'forbidden', 'discard-only'],
  ['2001:db8::', 32, 'forbidden', 'documentation'],
  ['3fff::', 20, 'forbidden', 'documentation'],
  ['2001::', 23, 'forbidden', 'reserved (IETF protocol assignments)'],
  ['2000::', 3, 'public', 'global unicast'],
  ['::', 0, 'forbidden', 'reserved (not global unicast)'],
];

/** IPv6 forms that carry an IPv4 address, and where it sits. Checked before IPV6_RANGES (except ::1 and ::). */
const IPV4_CARRIERS: readonly { network: string; prefix: number; what: string; extract: (value: bigint) => bigint }[] = [
  { network: '::ffff:0:0', prefix: 96, what: 'IPv4-mapped', extract: (v) => v & 0xffffffffn },
  { network: '::ffff:0:0:0', prefix: 96, what: 'IPv4-translated', extract: (v) => v & 0xffffffffn },
  { network: '::', prefix: 96, what: 'IPv4-compatible', extract: (v) => v & 0xffffffffn },
  { network: '64:ff9b::', prefix: 96, what: 'NAT64', extract: (v) => v & 0xffffffffn },
  { network: '64:ff9b:1::', prefix: 48, what: 'NAT64 (local-use)', extract: (v) => v & 0xffffffffn },
  { network: '2002::', prefix: 16, what: '6to4', extract: (v) => (v >> 80n) & 0xffffffffn },
  // Teredo: the client's IPv4 address is the last 32 bits, inverted.
  { network: '2001::', prefix: 32, what: 'Teredo', extract: (v) => ~v & 0xffffffffn },
];

/** Metadata services reachable from cloud VMs, never allowed: AWS/GCP/Azure/OCI, Alibaba, Azure's wireserver; AWS over IPv6. */
const METADATA_V4 = new Set(['169.254.169.254', '100.100.100.200', '168.63.129.16'].map(ipv4Value));
const METADATA_V6 = new Set(['fd00:ec2::254'].map(ipv6Value));

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** A valid IPv6 address (isIP said so; any zone already removed) as a 128-bit number. */
function ipv6Value(address: string): bigint {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = ipv4Value(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

const inRange = (value: bigint, network: bigint, prefix: number, bits: number): boolean =>
  prefix === 0 || value >> BigInt(bits - prefix) === network >> BigInt(bits - prefix);

function judgeIpv4(value: bigint): Verdict {
  if (METADATA_V4.has(value)) return { kind: 'forbidden', what: 'cloud metadata' };
  const range = IPV4_RANGES.find(([network, prefix]) => inRange(value, ipv4Value(network), prefix, 32));
  return range ? { kind: range[2], what: range[3] } : { kind: 'public', what: 'public' };
}

function judgeIpv6(value: bigint): Verdict {
  if (METADATA_V6.has(value)) return { kind: 'forbidden', what: 'cloud metadata' };
  if (value > 1n) {
    const carrier = IPV4_CARRIERS.find((c) => inRange(value, ipv6Value(c.network), c.prefix, 128));
    if (carrier) {
      const v4 = carrier.extract(value);
      const inner = judgeIpv4(v4);
      return { kind: inner.kind, what: `${carrier.what} address of ${ipv4Text(v4)}, ${inner.what}` };
    }
  }
  const range = IPV6_RANGES.find(([network, prefix]) => inRange(value, ipv6Value(network), prefix, 128));
  return range ? { kind: range[2], what: range[3] } : { kind: 'forbidden', what: 'reserved' };
}

/** Judges one IP address (IPv4 dotted, IPv6 with or without brackets or zone); anything else is forbidden. */
export function judgeAddress(address: string): Verdict {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return judgeIpv4(ipv4Value(bare));
  if (family === 6) return judgeIpv6(ipv6Value(bare));
  return { kind: 'forbidden', what: 'not an IP address' };
}

/** null when the address may be used, else why not. */
export function refusalOf(address: string, allowPrivate: boolean): string | null {
  const verdict = judgeAddress(address);
  if (verdict.kind === 'public' || (verdict.kind === 'local' && allowPrivate)) return null;
  const hint = verdict.kind === 'local' ? ' (allowed only with CANCAN_ALLOW_PRIVATE_URLS=on)' : '';
  return `${address} is not allowed: ${verdict.what}${hint}`;
}
