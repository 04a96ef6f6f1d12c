/**
 * Which addresses a webhook may reach (SSRF): only public unicast ones, unless the operator
 * allows the rest (WHARF_WEBHOOK_ALLOW_PRIVATE). Refused: loopback, private (RFC 1918, unique
 * local fc00::/7), link-local (fe80::/10; cloud metadata at 169.254.169.254), carrier-grade NAT,
 * "this network", multicast, reserved, benchmarking and documentation ranges.
 *
 * IPv6 that reaches IPv4 space is judged in the 16 bytes of the address, never in its spelling
 * (`::ffff:7f00:1`, `0:0:0:0:0:ffff:127.0.0.1` and `::FFFF:127.0.0.1` are one address):
 * - judged by the IPv4 they carry: IPv4-mapped `::ffff:0:0/96`, well-known NAT64 `64:ff9b::/96`
 *   (a translator sends to that IPv4) and 6to4 `2002::/16` (a relay sends to the IPv4 in bytes 2-5);
 * - refused whole: IPv4-compatible `::/96` (deprecated, RFC 4291; `::` and `::1` are in it),
 *   IPv4-translated `::ffff:0:0:0/96`, local-use NAT64 `64:ff9b:1::/48` (the operator decides
 *   where the IPv4 sits, so it cannot be judged) and Teredo `2001::/32` (its client IPv4 is
 *   obscured and its server IPv4 is any relay).
 * A zone (`fe80::1%eth0`) is ignored: the address decides.
 */
import { BlockList, isIP } from 'node:net';

const blockedV4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blockedV4.addSubnet(net, prefix, 'ipv4');

/** IPv6 ranges refused whole: [first groups of the prefix, prefix length]. */
const BLOCKED_V6: readonly (readonly [readonly number[], number])[] = [
  [[0, 0, 0, 0, 0, 0], 96], // IPv4-compatible, with :: and ::1
  [[0, 0, 0, 0, 0xffff, 0], 96], // IPv4-translated (SIIT)
  [[0x64, 0xff9b, 1], 48], // local-use NAT64 (RFC 8215)
  [[0x100, 0, 0, 0], 64], // discard-only
  [[0x2001, 0], 32], // Teredo
  [[0x2001, 2, 0], 48], // benchmarking
  [[0x2001, 0xdb8], 32], // documentation
  [[0x3fff], 20], // documentation (RFC 9637)
  [[0xfc00], 7], // unique local
  [[0xfe00], 9], // reserved (fe00::/9)
  [[0xfe80], 10], // link-local
  [[0xfec0], 10], // site-local (deprecated)
  [[0xff00], 8], // multicast
];

/** The eight 16-bit groups of an IPv6 address (any spelling, a trailing dotted IPv4 included). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  return tail === undefined ? front : [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

function inPrefix(groups: readonly number[], prefix: readonly number[], length: number): boolean {
  for (let bit = 0; bit < length; bit += 16) {
    const bits = Math.min(16, length - bit);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    if (((groups[bit / 16] ?? 0) & mask) !== ((prefix[bit / 16] ?? 0) & mask)) return false;
  }
  return true;
}

function ipv4Of(high: number, low: number): string {
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** The IPv4 address an IPv6 address is judged by (mapped, well-known NAT64, 6to4), or null. */
function embeddedIpv4(groups: readonly number[]): string | null {
  if (inPrefix(groups, [0, 0, 0, 0, 0, 0xffff], 96)) return ipv4Of(groups[6]!, groups[7]!);
  if (inPrefix(groups, [0x64, 0xff9b, 0, 0, 0, 0], 96)) return ipv4Of(groups[6]!, groups[7]!);
  if (inPrefix(groups, [0x2002], 16)) return ipv4Of(groups[1]!, groups[2]!);
  return null;
}

/** True for a public unicast address; false for any refused range, and for anything that is not an IP address. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return !blockedV4.check(bare, 'ipv4');
  if (family !== 6) return false;
  const groups = ipv6Groups(bare);
  const v4 = embeddedIpv4(groups);
  if (v4 !== null) return isPublicAddress(v4);
  return !BLOCKED_V6.some(([prefix, length]) => inPrefix(groups, prefix, length));
}
