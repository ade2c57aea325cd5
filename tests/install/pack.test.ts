/**
 * What a user installs: `npm pack` of this checkout (with its built dist/), installed into a fresh prefix from the
 * tarball, dependencies from the npm registry (better-sqlite3 compiled against this Node's headers), then the
 * installed `aics` answers --version and --help, opens a database, and `man aics` shows its page. package.json allows
 * better-sqlite3 "12.11.1 || 13.2.0": npm picks 12 on Node 20 and 13 (Node >= 22) on Node 24, which the test checks.
 *
 * Slow (minutes: a real install and a native compile), so it runs only where asked: AICS_PACK_TEST=1 (.ci/run sets
 * it on both legs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { packageVersion } from '../../src/version.js';
import { repoRoot } from '../support/cli.js';
import { tempDir } from '../support/fixtures.js';

const { dir, cleanup } = tempDir('aics-pack-');
afterAll(cleanup);
const enabled = process.env.AICS_PACK_TEST === '1';
if (!enabled) console.warn('npm pack install test skipped: set AICS_PACK_TEST=1 to run it (it takes minutes)');
const hasMan = spawnSync('man', ['--version'], { stdio: 'ignore' }).status === 0;

/** Node's headers for node-gyp: AICS_NODEDIR (the Node 24 leg), else those of the running Node (the prefix above bin/). */
const nodedir = process.env.AICS_NODEDIR ?? dirname(dirname(process.execPath));

it.skipIf(!enabled)(
  'npm pack → npm install -g --prefix → the better-sqlite3 for this Node, aics --version, --help, a database, man aics',
  () => {
    const npm = (args: string[], cwd: string) => {
      const r = spawnSync('npm', args, {
        cwd,
        encoding: 'utf8',
        env: { ...process.env, npm_config_nodedir: nodedir },
        timeout: 15 * 60_000,
      });
      expect(r.status, `npm ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };
    expect(existsSync(join(repoRoot, 'dist/commands')), 'run "npm run build" first').toBe(true);
    npm(['pack', '--pack-destination', dir, '--silent'], repoRoot);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toBe(`aics-${packageVersion()}.tgz`);
    const prefix = join(dir, 'prefix');
    npm(
      [
        'install',
        '-g',
        '--prefix',
        prefix,
        join(dir, tarball),
        '--allow-scripts=better-sqlite3',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
      ],
      dir,
    );

    // npm resolved the range for the Node it ran on: 12 (compiled) on Node 20, 13 (Node-API, prebuilt) on 22 and later.
    const installed = JSON.parse(readFileSync(join(prefix, 'lib/node_modules/aics/node_modules/better-sqlite3/package.json'), 'utf8')) as {
      version: string;
    };
    expect(installed.version).toBe(Number(process.versions.node.split('.')[0]) >= 22 ? '13.2.0' : '12.11.1');

    // The manifest (build output, git-ignored) is in the package: the installed aics finds its commands without
    // importing them all, and --help lists them from it.
    expect(existsSync(join(prefix, 'lib/node_modules/aics/oclif.manifest.json'))).toBe(true);

    const aics = (...args: string[]) =>
      spawnSync(join(prefix, 'bin/aics'), args, {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
      });
    const version = aics('--version');
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toContain(`aics/${packageVersion()}`);
    const help = aics('--help');
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/serve/);
    expect(help.stdout).toMatch(/doctor/);
    // The native module was built and loads: a task is written to a new database and read back. (Reading commands never
    // create a database, so the write comes first.)
    const db = join(dir, 'db/tasks.db');
    const add = aics(
      'task',
      'add',
      '--db',
      db,
      '--task-id',
      'PACK_1',
      '--customer',
      'customer_123',
      '--keyword',
      '好的',
      '--message',
      'hi',
    );
    expect(add.status, add.stderr).toBe(0);
    const list = aics('task', 'list', '--json', '--db', db);
    expect(list.status, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ total: 1, items: [{ task_id: 'PACK_1' }] });
    // Nothing on stderr: no oclif warning about TypeScript sources in an installed package (even under NODE_ENV=test).
    expect(list.stderr).toBe('');

    expect(existsSync(join(prefix, 'share/man/man1/aics.1'))).toBe(true);
    if (!hasMan) {
      console.warn('man is not installed: the page is in place, "man aics" not run');
      return;
    }
    const man = spawnSync('man', ['-P', 'cat', 'aics'], {
      encoding: 'utf8',
      env: { ...process.env, MANPATH: join(prefix, 'share/man'), MANWIDTH: '100' },
    });
    expect(man.status, man.stderr).toBe(0);
    expect(man.stdout).toMatch(/aics/);
    expect(man.stdout).toMatch(/serve/);
  },
  20 * 60_000,
);
