/** Which network addresses a source or webhook may reach by default: public ones only. Pure. */
import { BlockList, isIP } from "node:net";

/** A resolved address of a host name. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (injected so tests never touch real DNS). */
export type HostResolver = (host: string) => Promise<ResolvedAddress[]>;

interface Range {
  net: string;
  prefix: number;
  kind: string;
}

const V4: Range[] = [
  { net: "0.0.0.0", prefix: 8, kind: "an unspecified" },
  { net: "10.0.0.0", prefix: 8, kind: "a private" },
  { net: "100.64.0.0", prefix: 10, kind: "a carrier-grade NAT (CGNAT)" },
  { net: "127.0.0.0", prefix: 8, kind: "a loopback" },
  { net: "169.254.169.254", prefix: 32, kind: "a cloud metadata" },
  { net: "169.254.0.0", prefix: 16, kind: "a link-local" },
  { net: "172.16.0.0", prefix: 12, kind: "a private" },
  { net: "192.0.0.0", prefix: 24, kind: "a reserved" },
  { net: "192.0.2.0", prefix: 24, kind: "a documentation" },
  { net: "192.168.0.0", prefix: 16, kind: "a private" },
  { net: "198.18.0.0", prefix: 15, kind: "a benchmarking" },
  { net: "198.51.100.0", prefix: 24, kind: "a documentation" },
  { net: "203.0.113.0", prefix: 24, kind: "a documentation" },
  { net: "224.0.0.0", prefix: 4, kind: "a multicast" },
  { net: "240.0.0.0", prefix: 4, kind: "a reserved" },
];

const V6: Range[] = [
  { net: "::", prefix: 128, kind: "an unspecified" },
  { net: "::1", prefix: 128, kind: "a loopback" },
  { net: "::ffff:0:0", prefix: 96, kind: "an IPv4-mapped" },
  { net: "64:ff9b::", prefix: 96, kind: "a NAT64" },
  { net: "100::", prefix: 64, kind: "a discard" },
  { net: "2001:db8::", prefix: 32, kind: "a documentation" },
  { net: "fd00:ec2::254", prefix: 128, kind: "a cloud metadata" },
  { net: "fc00::", prefix: 7, kind: "a unique-local" },
  { net: "fe80::", prefix: 10, kind: "a link-local" },
  { net: "ff00::", prefix: 8, kind: "a multicast" },
];

const LISTS = [...V4.map((r) => ({ ...r, type: "ipv4" as const })), ...V6.map((r) => ({ ...r, type: "ipv6" as const }))].map((r) => {
  const list = new BlockList();
  list.addSubnet(r.net, r.prefix, r.type);
  return { list, kind: r.kind, type: r.type };
});

/**
 * Why `address` is not a public address ("a loopback", "a private", "a cloud metadata", …), or null
 * when it is public. Anything that does not parse as an IP address counts as not public.
 */
export function nonPublicKind(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return "an unparseable";
  const type = family === 4 ? "ipv4" : "ipv6";
  for (const entry of LISTS) {
    if (entry.type === type && entry.list.check(address, type)) return entry.kind;
  }
  return null;
}

/** The host of a URL as a resolver or `isIP` expects it (IPv6 literals without brackets). */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** Resolves with `node:dns` (every address, as the OS resolver answers). */
export const systemResolver: HostResolver = async (host) => {
  const { lookup } = await import("node:dns/promises");
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** The addresses of a URL's host: an IP literal as is, a name through `resolver`. */
export async function addressesOf(url: URL, resolver: HostResolver): Promise<ResolvedAddress[]> {
  const host = bareHost(url);
  const family = isIP(host);
  if (family !== 0) return [{ address: host, family: family === 6 ? 6 : 4 }];
  return resolver(host);
}
