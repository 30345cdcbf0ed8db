// moto's S3 server (installed into .tools/moto by `npm run setup`) on a free loopback port: a real
// S3-compatible HTTP server for the S3 connector's tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';

const MOTO_SERVER = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), '.tools', 'moto', 'bin', 'moto_server');

export interface Moto {
  endpoint: string;
  /** A client of the server, to arrange buckets and files as a customer would. */
  s3: S3Client;
  put(bucket: string, key: string, body: string): Promise<{ etag: string; lastModified: Date }>;
  stop(): Promise<void>;
}

/** `checkCredentials`: refuse every access key, as S3 refuses one it does not know (moto's IAM checks from the first request). */
export async function startMoto(options: { checkCredentials?: boolean } = {}): Promise<Moto> {
  if (!existsSync(MOTO_SERVER)) throw new Error(`moto's server is not installed at ${MOTO_SERVER}: run \`npm run setup\``);
  const port = await freePort();
  const env = { ...process.env, ...(options.checkCredentials ? { INITIAL_NO_AUTH_ACTION_COUNT: '0' } : {}) };
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilUp(endpoint, child, stderr);
  const s3 = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return {
    endpoint,
    s3,
    async put(bucket, key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { etag: head.ETag!, lastModified: head.LastModified! };
    },
    async stop() {
      s3.destroy();
      await stopChild(child);
    },
  };
}

export async function createBucket(moto: Moto, bucket: string): Promise<void> {
  await moto.s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** A port nothing listens on (taken and released at once), for servers and for "unreachable". */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, stderr: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last: unknown = null;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${stderr.join('').slice(-2000)}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stopChild(child);
  throw new Error(`moto_server did not answer on ${endpoint} within 60 s (${String(last)}): ${stderr.join('').slice(-2000)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}
