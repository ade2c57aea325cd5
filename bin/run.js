#!/usr/bin/env node
import { execute, settings } from '@oclif/core';

// The commands are always the compiled dist/: never look for TypeScript sources (oclif does under NODE_ENV=development
// or test, and warns on stderr in an installed package that has none).
settings.enableAutoTranspile = false;

// "aics help", "aics help task", "aics help task list": the same as --help on that command or topic.
const args = process.argv.slice(2);
const argv = args[0] === 'help' ? [...args.slice(1), '--help'] : args;

await execute({ dir: import.meta.url, args: argv });
