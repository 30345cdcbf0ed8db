// The outbound-request policy every connector and notifier sends through: no private, loopback,
// link-local or metadata address unless the operator allows its network, checked where the socket
// resolves the name; documented hosts only for destinations that have them; no redirects followed;
// one message for every way a connection fails. Against real sockets on 127.0.0.1.
import { get as httpGet, createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CouldNotConnect, Outbound, OutboundRefused, outboundPolicyFromEnv, type Destination, type Resolver } from '../services/outbound.js';

const ANYWHERE: Destination = { name: 'the test receiver', hosts: 'any' };
const SALESFORCE: Destination = { name: 'Salesforce', hosts: ['login.salesforce.com', 'test.salesforce.com', '*.my.salesforce.com'] };
const NO_EXCEPTIONS = new Outbound({ allowedHosts: [], allowedNetworks: [] });

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('the outbound policy', () => {
  let server: Server;
  let port: number;
  const requests: string[] = [];
  let silent: TcpServer;
  let silentPort: number;
  let hangUp: TcpServer;
  let hangUpPort: number;
  const held: Socket[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url!);
      if (request.url === '/redirect') response.writeHead(302, { location: `http://127.0.0.1:${port}/target` }).end('moved');
      else response.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // One accepts and never answers; the other hangs up as soon as a connection comes.
    silent = createTcpServer((socket) => held.push(socket));
    hangUp = createTcpServer((socket) => socket.destroy());
    await Promise.all([new Promise<void>((r) => silent.listen(0, '127.0.0.1', r)), new Promise<void>((r) => hangUp.listen(0, '127.0.0.1', r))]);
    silentPort = (silent.address() as AddressInfo).port;
    hangUpPort = (hangUp.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    for (const socket of held) socket.destroy();
    await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => silent.close(r)), new Promise((r) => hangUp.close(r))]);
  });

  it('refuses private, loopback, link-local and metadata addresses written in a URL, before any request', async () => {
    requests.length = 0;
    const urls = [
      `http://127.0.0.1:${port}/`,
      `http://[::1]:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://0.0.0.0:${port}/`,
      'http://10.1.2.3/',
      'http://192.168.0.1/',
      'http://172.16.5.4/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://100.100.100.200/latest/meta-data/',
      'http://2130706433/',
    ];
    for (const url of urls) {
      const error = await failureOf(NO_EXCEPTIONS.fetch(url, {}, ANYWHERE));
      expect(error, url).toBeInstanceOf(OutboundRefused);
      expect(error.message, url).toContain('OUTBOUND_ALLOWED_NETWORKS');
      expect(await NO_EXCEPTIONS.problem(url, ANYWHERE), url).toContain('OUTBOUND_ALLOWED_NETWORKS');
    }
    expect(requests).toEqual([]);
    expect(await NO_EXCEPTIONS.problem('https://93.184.216.34/hook', ANYWHERE)).toBeNull();
  });

  it('refuses a name that resolves to a loopback address: when it is saved, and when a socket connects', async () => {
    requests.length = 0;
    expect(await NO_EXCEPTIONS.problem(`http://localhost:${port}/`, ANYWHERE)).toContain('localhost resolves to a private, loopback, link-local or otherwise non-public address');
    const error = await failureOf(NO_EXCEPTIONS.fetch(`http://localhost:${port}/`, {}, ANYWHERE));
    expect(error).toBeInstanceOf(CouldNotConnect);
    expect(requests).toEqual([]);
  });

  it('checks the address the socket connects to: a DNS answer that changes after the check cannot slip through', async () => {
    requests.length = 0;
    // Public when the URL is saved, loopback when the request goes out (DNS rebinding).
    const rebinding = (): Resolver => {
      let asked = 0;
      return async () => [{ address: asked++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    };
    const strict = new Outbound({ allowedHosts: [], allowedNetworks: [] }, { resolver: rebinding() });
    const url = `http://hooks.rebinding.test:${port}/`;
    expect(await strict.problem(url, ANYWHERE)).toBeNull();
    expect(await failureOf(strict.fetch(url, {}, ANYWHERE))).toBeInstanceOf(CouldNotConnect);
    expect(requests).toEqual([]);

    // The same resolver, with loopback allowed: the request goes where the socket's lookup said.
    const lenient = new Outbound({ allowedHosts: [], allowedNetworks: ['127.0.0.1'] }, { resolver: rebinding() });
    expect(await lenient.problem(url, ANYWHERE)).toBeNull();
    const answer = await lenient.fetch(url, {}, ANYWHERE);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('hello');
    expect(requests).toEqual(['/']);
  });

  it('reaches the networks and hosts an operator allows, and only those', async () => {
    const allowed = new Outbound({ allowedHosts: ['127.0.0.1'], allowedNetworks: ['127.0.0.0/8'] });
    expect((await allowed.fetch(`http://127.0.0.1:${port}/`, {}, ANYWHERE)).status).toBe(200);
    expect((await allowed.fetch(`http://localhost:${port}/`, {}, ANYWHERE)).status).toBe(200);
    expect(await failureOf(allowed.fetch('http://10.1.2.3/', {}, ANYWHERE))).toBeInstanceOf(OutboundRefused);
    expect((await allowed.fetch(`http://127.0.0.1:${port}/`, {}, SALESFORCE)).status).toBe(200);
    const notAllowedHost = await failureOf(allowed.fetch(`http://localhost:${port}/`, {}, SALESFORCE));
    expect(notAllowedHost).toBeInstanceOf(OutboundRefused);
    expect(notAllowedHost.message).toBe('localhost is not a Salesforce host (login.salesforce.com, test.salesforce.com, *.my.salesforce.com); an operator can allow it with OUTBOUND_ALLOWED_HOSTS');
  });

  it('lets a destination name only its own hosts, a wildcard covering the names under a domain', async () => {
    const problem = (url: string) => NO_EXCEPTIONS.problem(url, SALESFORCE);
    const unresolvable = new Outbound({ allowedHosts: ['*.corp.example'], allowedNetworks: [] }, { resolver: async () => [] });
    expect(await unresolvable.problem('https://acme.my.salesforce.com/services', SALESFORCE)).toBeNull();
    expect(await unresolvable.problem('https://LOGIN.salesforce.com./services/oauth2/token', SALESFORCE)).toBeNull();
    expect(await unresolvable.problem('https://sf-proxy.corp.example/', SALESFORCE)).toBeNull();
    expect(await problem('https://my.salesforce.com.evil.example/')).toContain('not a Salesforce host');
    expect(await problem('https://evilmy.salesforce.com/')).toContain('not a Salesforce host');
    expect(await problem('https://user:secret@login.salesforce.com/')).toContain('must not hold a user name or password');
    expect(await problem('ftp://login.salesforce.com/')).toContain('https://');
  });

  it('answers a redirect as it came and never follows it', async () => {
    requests.length = 0;
    const allowed = new Outbound({ allowedHosts: [], allowedNetworks: ['127.0.0.1'] });
    const answer = await allowed.fetch(`http://127.0.0.1:${port}/redirect`, {}, ANYWHERE);
    expect(answer.status).toBe(302);
    expect(requests).toEqual(['/redirect']);
  });

  it('says "could not connect" in one way, whether the port is closed, hangs up, never answers or is not allowed', async () => {
    const allowed = new Outbound({ allowedHosts: [], allowedNetworks: ['127.0.0.1'] });
    const failures = [
      await failureOf(allowed.fetch('http://127.0.0.1:1/', {}, ANYWHERE)),
      await failureOf(allowed.fetch(`http://127.0.0.1:${hangUpPort}/`, {}, ANYWHERE)),
      await failureOf(allowed.fetch(`http://127.0.0.1:${silentPort}/`, { signal: AbortSignal.timeout(300) }, ANYWHERE)),
      await failureOf(NO_EXCEPTIONS.fetch(`http://localhost:${port}/`, {}, ANYWHERE)),
      await failureOf(allowed.fetch('http://no-such-host.invalid/', {}, ANYWHERE)),
    ];
    for (const failure of failures) expect(failure).toBeInstanceOf(CouldNotConnect);
    expect(failures.map((f) => f.message.replace(/to \S+$/, 'to <host>'))).toEqual(Array(failures.length).fill('could not connect to <host>'));
  });

  it('keeps the same rule for clients built on node:http, such as the AWS SDK', async () => {
    const request = (outbound: Outbound, host: string) =>
      new Promise<number>((resolve, reject) => {
        httpGet({ host, port, path: '/', agent: outbound.nodeAgents().httpAgent }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        }).on('error', reject);
      });
    requests.length = 0;
    expect(await failureOf(request(NO_EXCEPTIONS, '127.0.0.1'))).toBeInstanceOf(CouldNotConnect);
    expect((await failureOf(request(NO_EXCEPTIONS, 'localhost'))).message).toContain('no address the outbound policy allows');
    expect(requests).toEqual([]);
    expect(await request(new Outbound({ allowedHosts: [], allowedNetworks: ['127.0.0.1'] }), 'localhost')).toBe(200);
  });

  it('reads what an operator allows from OUTBOUND_ALLOWED_HOSTS and OUTBOUND_ALLOWED_NETWORKS, naming a bad entry', () => {
    expect(outboundPolicyFromEnv({})).toEqual({ allowedHosts: [], allowedNetworks: [] });
    expect(outboundPolicyFromEnv({ OUTBOUND_ALLOWED_HOSTS: 'px-proxy.corp.example, *.corp.example', OUTBOUND_ALLOWED_NETWORKS: '10.0.0.0/8,fd00::/8, 127.0.0.1' })).toEqual({
      allowedHosts: ['px-proxy.corp.example', '*.corp.example'],
      allowedNetworks: ['10.0.0.0/8', 'fd00::/8', '127.0.0.1'],
    });
    expect(() => outboundPolicyFromEnv({ OUTBOUND_ALLOWED_NETWORKS: '10.0.0.0/8,intranet' })).toThrow('OUTBOUND_ALLOWED_NETWORKS entry "intranet" must be a network such as 10.0.0.0/8');
    expect(() => outboundPolicyFromEnv({ OUTBOUND_ALLOWED_HOSTS: 'http://px.example/' })).toThrow('OUTBOUND_ALLOWED_HOSTS entry "http://px.example/" must be a host name');
  });
});
