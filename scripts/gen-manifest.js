#!/usr/bin/env node
/**
 * Writes oclif.manifest.json: every command's id, summary, flags and args, and the file it lives in. With it, oclif
 * lists and finds commands without importing them, so `aics --version` imports no command at all and `aics task list`
 * imports only dist/commands/task/list.js. Build output (git-ignored, packed): `npm run build` writes it last.
 *
 *   node scripts/gen-manifest.js            write oclif.manifest.json from the built dist/commands
 *   node scripts/gen-manifest.js --check    exit 1 if oclif.manifest.json differs from what would be written
 *   --out FILE                              another file instead of oclif.manifest.json (for tests)
 *
 * It does what `oclif manifest` (the `oclif` dev package) does, with @oclif/core alone: load the package as an oclif
 * plugin while ignoring any manifest on disk, so that every command is imported and cached, and write the result.
 * The dev package would bring a few hundred packages to `npm ci` for these lines.
 */
import { Plugin, settings } from '@oclif/core';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGenerator } from './generated-file.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The manifest oclif would build from the commands themselves, commands sorted by id so that it is deterministic. */
export async function generate() {
  if (!existsSync(join(root, 'dist', 'commands'))) {
    throw new Error('dist/commands is missing: run "npm run build" first');
  }
  // The commands are the compiled dist/ (as bin/run.js says): under NODE_ENV=development or test, oclif would
  // otherwise record the TypeScript sources in src/ as the commands' files.
  settings.enableAutoTranspile = false;
  const plugin = new Plugin({
    root,
    isRoot: true,
    type: 'core',
    ignoreManifest: true, // never read the file this writes: a stale one would reproduce itself
    errorOnManifestCreate: true, // a command that fails to import fails the build instead of vanishing from the CLI
    respectNoCacheDefault: true,
  });
  await plugin.load();
  const { commands, version } = plugin.manifest;
  const sorted = Object.fromEntries(
    Object.keys(commands)
      .sort()
      .map((id) => [id, commands[id]]),
  );
  return `${JSON.stringify({ commands: sorted, version }, null, 2)}\n`;
}

await runGenerator({
  name: 'gen-manifest',
  defaultOut: join(root, 'oclif.manifest.json'),
  generate,
  differs: () => 'differs from the commands in dist/commands',
  fix: 'run "npm run build"',
});
