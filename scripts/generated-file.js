/**
 * What the generators of committed or packed files share (gen-man.js: man/aics.1; gen-manifest.js:
 * oclif.manifest.json): their flags (--check, --out FILE), and writing the file or, with --check, failing (exit 1)
 * with a line that says how to bring it up to date.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/**
 * Runs a generator as a script. `name` prefixes its messages; `generate()` returns the file's text; `differs(current,
 * text)` says how a stale file differs; `fix` is the command that regenerates it.
 */
export async function runGenerator({ name, defaultOut, generate, differs, fix }) {
  try {
    const opts = parseArgs(name, defaultOut, process.argv.slice(2));
    const text = await generate();
    const shown = relative(process.cwd(), opts.out) || opts.out;
    if (opts.check) {
      const current = existsSync(opts.out) ? readFileSync(opts.out, 'utf8') : null;
      if (current === text) {
        process.stdout.write(`${shown} is up to date\n`);
        return;
      }
      const why = current === null ? 'is missing' : differs(current, text);
      process.stderr.write(`${name}: ${shown} ${why}: ${fix}\n`);
      process.exitCode = 1;
      return;
    }
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, text);
    process.stdout.write(`wrote ${shown}\n`);
  } catch (error) {
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exitCode = 1;
  }
}

function parseArgs(name, defaultOut, argv) {
  const opts = { check: false, out: defaultOut };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') opts.check = true;
    else if (a === '--out') opts.out = resolve(argv[++i] ?? '');
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: node scripts/${name}.js [--check] [--out FILE]\n`);
      process.exit(0);
    } else {
      process.stderr.write(`${name}: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  return opts;
}
