#!/usr/bin/env node
import { execute } from '@oclif/core';

// "aics help", "aics help task", "aics help task list": the same as --help on that command or topic.
const args = process.argv.slice(2);
const argv = args[0] === 'help' ? [...args.slice(1), '--help'] : args;

await execute({ dir: import.meta.url, args: argv });
