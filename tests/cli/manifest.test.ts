/**
 * oclif.manifest.json is build output (npm run build writes it after tsc; git-ignored, packed). oclif trusts it to list
 * and find commands and to print their help, so a stale one would hide a new command or flag: this fails when it
 * does not match the built commands, and checks that the generator's --check notices a difference.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/version.js';
import { repoRoot, tempDir } from '../support/cli.js';

const script = join(repoRoot, 'scripts', 'gen-manifest.js');
const gen = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: repoRoot, encoding: 'utf8' });
const ws = tempDir('aics-manifest-');
afterAll(() => ws.cleanup());

interface Manifest {
  version: string;
  commands: Record<string, { id: string; relativePath: string[]; flags: Record<string, { name: string }> }>;
}
const manifestFile = join(repoRoot, 'oclif.manifest.json');
const read = (file = manifestFile) => JSON.parse(readFileSync(file, 'utf8')) as Manifest;

function builtCommands(dir = join(repoRoot, 'dist', 'commands')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? builtCommands(join(dir, e.name)) : e.name.endsWith('.js') ? [relative(repoRoot, join(dir, e.name))] : [],
  );
}

describe('oclif.manifest.json', () => {
  it('is up to date with the built commands (else: npm run build)', () => {
    const r = gen('--check');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('has every built command, in its own file, with its flags and the global ones', () => {
    const m = read();
    expect(m.version).toBe(packageVersion());
    const files = Object.values(m.commands).map((c) => c.relativePath.join('/'));
    expect(files.sort()).toEqual(builtCommands().sort());
    expect(Object.keys(m.commands)).toEqual(
      expect.arrayContaining(['serve', 'status', 'task:add', 'task:list', 'db:backup', 'agent:chat']),
    );
    expect(Object.keys(m.commands['task:list']!.flags)).toEqual(expect.arrayContaining(['status', 'trigger', 'db', 'json']));
  });

  it('--check fails, naming the file, when a flag is missing; writing it makes it current again', () => {
    const stale = join(ws.dir, 'oclif.manifest.json');
    const m = read();
    delete m.commands['task:list']!.flags.status;
    writeFileSync(stale, JSON.stringify(m, null, 2));
    const r = gen('--check', '--out', stale);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^gen-manifest: .*oclif\.manifest\.json differs from the commands in dist\/commands: run "npm run build"\n$/);
    expect(gen('--out', stale).status).toBe(0);
    expect(gen('--check', '--out', stale).status).toBe(0);
    expect(readFileSync(stale, 'utf8')).toBe(readFileSync(manifestFile, 'utf8'));
  });

  it('--check fails when the manifest is missing', () => {
    const r = gen('--check', '--out', join(ws.dir, 'nowhere.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nowhere\.json is missing: run "npm run build"/);
  });

  it('is in the package npm would publish', () => {
    expect(existsSync(manifestFile)).toBe(true);
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [pack] = JSON.parse(r.stdout) as [{ files: { path: string }[] }];
    expect(pack.files.map((f) => f.path)).toContain('oclif.manifest.json');
  });
});
