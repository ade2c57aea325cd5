#!/usr/bin/env -S node --import tsx --no-warnings
// Development entry: runs the TypeScript sources directly (no build needed).
import { Config, Plugin, execute } from '@oclif/core';
import { fileURLToPath } from 'node:url';

process.env.NODE_ENV = 'development';
const root = fileURLToPath(new URL('..', import.meta.url));

// The commands as they are in src/ now, never as a previous build's oclif.manifest.json lists them: a manifest from
// before a new command or flag would hide it here.
const rootPlugin = new Plugin({ root, isRoot: true, type: 'core', ignoreManifest: true });
await rootPlugin.load();
const config = await Config.load({ root, plugins: new Map([[rootPlugin.name, rootPlugin]]) });
await config.loadPluginsAndCommands({ force: true }); // the plugins of package.json (autocomplete) as usual

await execute({ development: true, loadOptions: config });
