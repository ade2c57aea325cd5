/** Runs the real `aics` binary (bin/run.js over dist/, built by `npm test`) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './fixtures.js';
import { PROCESS_LIMIT_MS, atLeast } from './limits.js';

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export { cleanEnv };

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function run(args: string[], options: { cwd: string; env?: Record<string, string> }): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Runs to the end; fails the test if it takes longer than timeoutMs. */
export async function runToEnd(args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }) {
  const r = run(args, options);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), atLeast(PROCESS_LIMIT_MS, options.timeoutMs));
  const { code, signal } = await r.exit;
  clearTimeout(timer);
  return { code, signal, stdout: r.stdout(), stderr: r.stderr() };
}

/** Starts `aics serve` and waits for its "listening on http://…" line. */
export async function startServe(args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const r = run(['serve', ...args], options);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "listening on" line within ${PROCESS_LIMIT_MS} ms; stdout: ${r.stdout()} stderr: ${r.stderr()}`)),
      PROCESS_LIMIT_MS,
    );
    const look = () => {
      const m = /listening on (http:\/\/\S+)/.exec(r.stdout());
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    r.child.stdout!.on('data', look);
    r.exit.then(({ code }) => reject(new Error(`serve exited (${code}) before listening: ${r.stderr()}`)));
  });
  return { ...r, url, port: Number(new URL(url).port) };
}
