#!/usr/bin/env node
/**
 * Runs every benchmark (bench/*.js except this file) one after another, each as a child process, collects the JSON
 * object each prints, and writes one report to bench/out/report.json (git-ignored) with the time, the machine and
 * its load average before and after. Prints the report on stdout; the benchmarks' progress goes to stderr.
 *
 *   npm run build && npm run bench                    # full size
 *   npm run bench -- --quick                          # smaller sizes (each benchmark's --quick)
 *   node bench/run-all.js --only match,schedule       # some of them
 *
 * The report's `targets` (bench/lib/issue-targets.js) lists each performance target with what aics did, the
 * same-run baseline, the ratio and whether it was met; the same table is printed on stderr at the end.
 *
 * Exits 1 if a benchmark failed (its entry then holds the error), 0 otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { arch, availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { issueTargets, targetsTable } from './lib/issue-targets.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    /** Per benchmark, in seconds: a benchmark still running then is stopped and reported as failed. */
    timeout: { type: 'string' },
  },
});
const quick = args.quick;
const timeoutS = Number(args.timeout ?? (quick ? 300 : 1800));

const load = () => loadavg().map((x) => Number(x.toFixed(2)));
const log = (text) => process.stderr.write(`${text}\n`);

function benches() {
  const self = basename(fileURLToPath(import.meta.url));
  const all = readdirSync(here)
    .filter((f) => f.endsWith('.js') && f !== self)
    .sort();
  if (!args.only) return all;
  const wanted = args.only.split(',').map((s) => s.trim().replace(/\.js$/, ''));
  const unknown = wanted.filter((w) => !all.includes(`${w}.js`));
  if (unknown.length)
    throw new Error(`--only: no benchmark ${unknown.join(', ')} (have ${all.map((f) => f.replace(/\.js$/, '')).join(', ')})`);
  return all.filter((f) => wanted.includes(f.replace(/\.js$/, '')));
}

/** Runs one benchmark; resolves with its JSON object, or { error } when it failed or printed no JSON. */
function run(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(here, file), ...(quick ? ['--quick'] : [])], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s) => (out += s));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
      const lines = out.trim().split('\n').filter(Boolean);
      let result = null;
      try {
        result = JSON.parse(lines[lines.length - 1] ?? '');
      } catch {
        result = null;
      }
      if (code === 0 && result && !result.error) resolve({ ...result, wall_s: seconds });
      else {
        const why = timedOut ? `stopped after ${timeoutS} s` : signal ? `killed by ${signal}` : `exited ${code}`;
        resolve({ error: result?.error ?? `${why}${result ? '' : ' without printing a JSON object'}`, exit_code: code, wall_s: seconds });
      }
    });
  });
}

async function main() {
  if (!existsSync(join(root, 'dist'))) throw new Error('dist/ is missing: run "npm run build" first');
  const files = benches();
  const report = {
    generated_at: new Date().toISOString(),
    quick,
    machine: {
      node: process.version,
      platform: `${platform()} ${release()} ${arch()}`,
      cpus: availableParallelism(),
      cpu_model: cpus()[0]?.model ?? null,
      total_mem_mb: Math.round(totalmem() / 2 ** 20),
      loadavg_before: load(),
      loadavg_after: null,
    },
    benches: {},
  };
  const t0 = Date.now();
  let failed = 0;
  for (const file of files) {
    const name = file.replace(/\.js$/, '');
    log(`── ${name}${quick ? ' --quick' : ''} (load average ${load().join(' ')})`);
    const result = await run(file);
    if (result.error) {
      failed++;
      log(`── ${name} failed: ${result.error}`);
    }
    report.benches[name] = result;
  }
  report.machine.loadavg_after = load();
  report.duration_s = Number(((Date.now() - t0) / 1000).toFixed(1));
  report.targets = issueTargets(report.benches);
  const outDir = join(here, 'out');
  mkdirSync(outDir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(outDir, 'report.json'), text);
  process.stdout.write(text);
  log(`\n${targetsTable(report.targets)}\n`);
  log(`report written to ${join('bench', 'out', 'report.json')}`);
  process.exitCode = failed ? 1 : 0;
}

await main();
