/**
 * A real PostgreSQL server for the tests: Debian's `postgresql` package, a fresh data folder in a temp dir, a free
 * port on 127.0.0.1, run as the `postgres` user (the server refuses root). One server per test file; each store or
 * daemon under test gets its own database on it (`createDatabase`). `.ci/run` installs the package; on a machine
 * without it `postgresAvailable()` is false and the PostgreSQL runners skip saying so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EVENT_LIMIT_MS } from './limits.js';

export interface PostgresServer {
  /** The maintenance database's URL (`postgres://aics@127.0.0.1:PORT/postgres`). */
  readonly url: string;
  readonly port: number;
  /** A new, empty database on the server; returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

const ROLE = 'aics';

/** The folder of the server's binaries (initdb, postgres), newest version first; null when not installed. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

export const postgresAvailable = (): boolean => postgresBinDir() !== null;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a server binary as the `postgres` user when we are root (the server refuses root), as ourselves otherwise. */
function asServerUser(bin: string, args: string[]): { command: string; args: string[] } {
  return userInfo().uid === 0 ? { command: 'runuser', args: ['-u', 'postgres', '--', bin, ...args] } : { command: bin, args };
}

function serverIds(): { uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

let databases = 0;

/** Starts a server on a fresh data folder; resolves when it accepts connections. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (Debian package "postgresql"); .ci/run installs it');
  const dir = mkdtempSync(join(tmpdir(), 'aics-pg-'));
  chmodSync(dir, 0o700);
  const ids = serverIds();
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const init = asServerUser(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', ROLE, '-E', 'UTF8', '--no-sync', '--locale=C']);
  const made = spawnSync(init.command, init.args, { encoding: 'utf8', timeout: EVENT_LIMIT_MS });
  if (made.status !== 0) throw new Error(`initdb failed: ${made.stderr || made.stdout || made.error}`);
  const port = await freePort();
  // fsync off: a test server's data is thrown away; the store's own durability is not what these tests measure.
  const run = asServerUser(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ]);
  const child: ChildProcess = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`PostgreSQL did not start within ${EVENT_LIMIT_MS} ms:\n${output}`)), EVENT_LIMIT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready to accept connections')) {
        clearTimeout(limit);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(limit);
      reject(new Error(`PostgreSQL exited with ${code} before it was ready:\n${output}`));
    });
  });
  // A test process that dies without stop() must not leave a server behind.
  const serverPid = () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const killOnExit = () => {
    try {
      process.kill(serverPid(), 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  const url = `postgres://${ROLE}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name = `t${process.pid}_${++databases}`) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://${ROLE}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        // Fast shutdown (ends the sessions still open), sent to the server itself: runuser does not pass SIGINT on.
        process.kill(serverPid(), 'SIGINT');
        await exited;
      }
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
