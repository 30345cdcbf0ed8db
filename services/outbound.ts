// Every HTTP request Syncline makes for a connection or a job (a source's API, an S3-compatible
// store, a webhook) leaves through here, under one policy an operator configures:
//
// - A destination with documented hosts (Gainsight PX) reaches only those, plus the hosts the
//   operator allows (OUTBOUND_ALLOWED_HOSTS). Others (webhooks, S3-compatible stores) may name any host.
// - No request reaches a private, loopback, link-local, cloud-metadata or otherwise non-public
//   address unless the operator allows its network (OUTBOUND_ALLOWED_NETWORKS). Names are checked
//   where the socket resolves them (its `lookup`), so the address checked is the address connected
//   to: a DNS answer that changes between a check and the connection cannot slip through.
// - Redirects are never followed: a 3xx is answered to the caller as it came.
// - A request that gets no answer fails with one message whatever the reason (refused, unreachable,
//   timed out, an address not allowed), so errors say nothing about what listens where.
//
// A connector declares where it may go with a Destination and sends through `fetch` (or, for an
// SDK built on node:http, through `nodeAgents()`); `problem` checks a URL before it is stored.
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit, type Response } from 'undici';

/** What the operator allows beyond the defaults. */
export interface OutboundPolicy {
  /** Hosts any destination may name besides its own: `px-proxy.example.com`, or `*.example.com` for the names under it. */
  allowedHosts: readonly string[];
  /** Non-public networks requests may reach: `10.0.0.0/8`, or one address such as `127.0.0.1`. */
  allowedNetworks: readonly string[];
}

/** Where a request goes. */
export interface Destination {
  /** What is reached, for messages: "Gainsight PX", "the webhook". */
  name: string;
  /** The hosts it may name (exact names, or `*.example.com`); 'any' for any host. Addresses are checked either way. */
  hosts: readonly string[] | 'any';
}

export const ALLOWED_HOSTS_VARIABLE = 'OUTBOUND_ALLOWED_HOSTS';
export const ALLOWED_NETWORKS_VARIABLE = 'OUTBOUND_ALLOWED_NETWORKS';

/** What the demo, the tests and the bench and chaos harnesses allow: their simulators on 127.0.0.1. */
export const LOOPBACK_POLICY: OutboundPolicy = { allowedHosts: ['127.0.0.1'], allowedNetworks: ['127.0.0.1/32'] };

/** A policy as the environment of a process that reads it with outboundPolicyFromEnv. */
export const policyEnvironment = (policy: OutboundPolicy): Record<string, string> => ({
  [ALLOWED_HOSTS_VARIABLE]: policy.allowedHosts.join(','),
  [ALLOWED_NETWORKS_VARIABLE]: policy.allowedNetworks.join(','),
});

/** A URL the policy refuses without trying it: a host the destination may not name, an address not allowed. */
export class OutboundRefused extends Error {
  override readonly name = 'OutboundRefused';
}

/** No answer came: the same message whether the host refused, was unreachable, too slow, or not allowed. */
export class CouldNotConnect extends Error {
  override readonly name = 'CouldNotConnect';
  constructor(readonly host: string) {
    super(`could not connect to ${host}`);
  }
}

/** Resolves a host name to every address it has (injectable: tests answer as a changing DNS would). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const HOST_PATTERN = /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;
/** How long a URL check at save time waits for DNS before letting the URL through unresolved. */
const SAVE_LOOKUP_TIMEOUT_MS = 3000;

/** The policy from OUTBOUND_ALLOWED_HOSTS and OUTBOUND_ALLOWED_NETWORKS (comma-separated); throws naming a bad entry. */
export function outboundPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): OutboundPolicy {
  const list = (name: string) => (env[name] ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  const policy = { allowedHosts: list(ALLOWED_HOSTS_VARIABLE), allowedNetworks: list(ALLOWED_NETWORKS_VARIABLE) };
  new Outbound(policy);
  return policy;
}

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class Outbound {
  private readonly hosts: string[];
  private readonly networks: Network[];
  private readonly resolve: Resolver;
  private readonly dispatcher: Agent;

  constructor(readonly policy: OutboundPolicy, options: { resolver?: Resolver } = {}) {
    this.hosts = policy.allowedHosts.map((entry) => {
      const host = normalHost(entry);
      if (!HOST_PATTERN.test(host) && !isIP(host)) throw new Error(`${ALLOWED_HOSTS_VARIABLE} entry "${entry}" must be a host name such as px-proxy.example.com, *.example.com or an address`);
      return host;
    });
    this.networks = policy.allowedNetworks.map((entry) => {
      try {
        return entry.includes('/') ? ipaddr.parseCIDR(entry) : single(ipaddr.parse(entry));
      } catch {
        throw new Error(`${ALLOWED_NETWORKS_VARIABLE} entry "${entry}" must be a network such as 10.0.0.0/8 or fd00::/8, or one address such as 127.0.0.1`);
      }
    });
    this.resolve = options.resolver ?? systemResolver;
    const connect = buildConnector({ lookup: this.socketLookup, timeout: 10_000 });
    this.dispatcher = new Agent({
      // Addresses written in the URL are never looked up, so they are checked here.
      connect: (options, callback) => {
        const refusal = this.literalRefusal(options.hostname);
        if (refusal) callback(refusal, null);
        else connect(options, callback);
      },
    });
  }

  /** Why `url` cannot be stored for `destination`, naming what an operator can allow; null when it can. */
  async problem(url: string, destination: Destination): Promise<string | null> {
    let parsed: URL;
    try {
      parsed = this.check(url, destination);
    } catch (error) {
      if (error instanceof OutboundRefused) return error.message;
      throw error;
    }
    const host = normalHost(parsed.hostname);
    if (isIP(host)) return null;
    const answers = await withTimeout(this.resolve(host), SAVE_LOOKUP_TIMEOUT_MS).catch(() => null);
    // A name that does not resolve now may later; its requests are checked when they connect.
    if (!answers || answers.length === 0 || answers.some((a) => this.addressAllowed(a.address))) return null;
    return `${host} resolves to a private, loopback, link-local or otherwise non-public address; ${networkAdvice()}`;
  }

  /**
   * undici's fetch under the policy: the URL checked first (OutboundRefused), addresses checked as
   * the socket connects, redirects answered rather than followed, and any failure before an answer
   * a CouldNotConnect.
   */
  async fetch(url: string, init: Omit<RequestInit, 'dispatcher' | 'redirect'>, destination: Destination): Promise<Response> {
    const parsed = this.check(url, destination);
    try {
      return await undiciFetch(parsed, { ...init, redirect: 'manual', dispatcher: this.dispatcher });
    } catch {
      throw new CouldNotConnect(parsed.host);
    }
  }

  /** Agents for clients built on node:http (the AWS SDK), connecting only where the policy allows. */
  nodeAgents(): { httpAgent: http.Agent; httpsAgent: https.Agent } {
    const options = { keepAlive: true, lookup: this.socketLookup };
    return { httpAgent: guard(new http.Agent(options), this), httpsAgent: guard(new https.Agent(options), this) };
  }

  /** The URL parsed, or OutboundRefused: not http(s), credentials in it, a host or an address not allowed. */
  private check(url: string, destination: Destination): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new OutboundRefused(`"${url.slice(0, 100)}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new OutboundRefused(`${destination.name} URLs must start with https:// or http://`);
    if (parsed.username || parsed.password) throw new OutboundRefused(`${destination.name} URLs must not hold a user name or password`);
    const host = normalHost(parsed.hostname);
    if (destination.hosts !== 'any' && !matchesAny(host, destination.hosts) && !matchesAny(host, this.hosts)) {
      throw new OutboundRefused(
        `${host} is not a ${destination.name} host (${destination.hosts.join(', ')}); an operator can allow it with ${ALLOWED_HOSTS_VARIABLE}`,
      );
    }
    const refusal = this.literalRefusal(host);
    if (refusal) throw refusal;
    return parsed;
  }

  /** An address written as the host that the policy refuses. */
  private literalRefusal(hostname: string): OutboundRefused | null {
    const host = normalHost(hostname);
    if (!isIP(host) || this.addressAllowed(host)) return null;
    return new OutboundRefused(`${host} is a private, loopback, link-local or otherwise non-public address; ${networkAdvice()}`);
  }

  /** Public unicast addresses, and those of networks the operator allows. */
  addressAllowed(address: string): boolean {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.parse(address);
    } catch {
      return false;
    }
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
    if (this.networks.some(([range, bits]) => range.kind() === ip.kind() && ip.match(range, bits))) return true;
    return ip.range() === 'unicast';
  }

  /** A socket's DNS lookup that answers only allowed addresses, and fails when a name has none. */
  private readonly socketLookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (answers) => {
        const allowed = answers.filter((a) => this.addressAllowed(a.address) && (!options.family || a.family === options.family));
        if (allowed.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no address the outbound policy allows`), { code: 'ENOTFOUND' }), '', 0);
        } else if (options.all) {
          (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, allowed);
        } else {
          callback(null, allowed[0]!.address, allowed[0]!.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** An agent whose sockets never reach an address the policy refuses: names through `lookup`, written addresses here. */
function guard<T extends http.Agent>(agent: T, outbound: Outbound): T {
  type Create = (options: http.ClientRequestArgs, callback: (error: Error | null, socket?: Duplex) => void) => Socket | undefined;
  const agentWithCreate = agent as unknown as { createConnection: Create };
  const create = agentWithCreate.createConnection.bind(agent);
  agentWithCreate.createConnection = (options, callback) => {
    const host = normalHost(options.host ?? options.hostname ?? '');
    if (isIP(host) && !outbound.addressAllowed(host)) {
      callback(new CouldNotConnect(host));
      return undefined;
    }
    return create(options, callback);
  };
  return agent;
}

function normalHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

function matchesAny(host: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern));
}

function single(ip: ipaddr.IPv4 | ipaddr.IPv6): Network {
  return [ip, ip.kind() === 'ipv4' ? 32 : 128];
}

const networkAdvice = () => `an operator can allow its network with ${ALLOWED_NETWORKS_VARIABLE}`;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
