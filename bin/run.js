#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';

const args = process.argv.slice(2);

// `aics --version` is asked by scripts and health checks, often: it answers before oclif is even loaded (loading
// it costs more than Node's own start). The line is oclif's own (config.userAgent, printed whenever --version comes
// first); on WSL, where oclif says "wsl" after checks of its own, oclif answers.
if (args[0] === '--version' && !maybeWsl()) {
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`${name}/${version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}\n`);
} else {
  // The entry points of @oclif/core, not its index: the index imports all of oclif (and checks its own engines with
  // semver) before any command is chosen. Commands load what they need when oclif imports them (oclif.manifest.json
  // tells it which file holds which command without importing the others).
  const [{ execute }, { settings }] = await Promise.all([import('@oclif/core/execute'), import('@oclif/core/settings')]);

  // The commands are always the compiled dist/: never look for TypeScript sources (oclif does under NODE_ENV=development
  // or test, and warns on stderr in an installed package that has none).
  settings.enableAutoTranspile = false;

  // "aics help", "aics help task", "aics help task list": the same as --help on that command or topic.
  const argv = args[0] === 'help' ? [...args.slice(1), '--help'] : args;

  await execute({ dir: import.meta.url, args: argv });
}

/** Where oclif's platform could be "wsl" (is-wsl looks at the kernel's release and /proc/version). */
function maybeWsl() {
  if (platform() !== 'linux') return false;
  if (release().toLowerCase().includes('microsoft')) return true;
  try {
    return readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft');
  } catch {
    return false;
  }
}
