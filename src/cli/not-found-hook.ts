/**
 * A mistyped command: "aics tsk lst" → `error: "tsk lst" is not an aics command; did you mean "task list"?`, one
 * line, exit 2, in the space form people type. On a terminal @oclif/plugin-not-found asks "Did you mean task list?"
 * and runs it when confirmed. `aics help …` never gets here (bin/run.js turns it into --help).
 */
import type { Hook } from '@oclif/core';
import { ExitCode } from '../errors.js';

const hook: Hook<'command_not_found'> = async function (opts) {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    // Loaded only here: the one-line answer below, which scripts get, needs none of it.
    const { default: notFoundPlugin } = await import('@oclif/plugin-not-found');
    return notFoundPlugin.call(this, opts);
  }
  const spaced = (id: string) => id.split(':').join(' ');
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  const suggestion = closest(opts.id, visible);
  process.stderr.write(
    `error: "${spaced(opts.id)}" is not an ${opts.config.bin} command${suggestion ? `; did you mean "${spaced(suggestion)}"?` : ''} ("${opts.config.bin} help" lists them)\n`,
  );
  this.exit(ExitCode.usage);
};

export default hook;

/** The id nearest by edit distance (ties: the first). */
export function closest(target: string, ids: readonly string[]): string | null {
  let best: { id: string; d: number } | null = null;
  for (const id of ids) {
    const d = distance(target, id);
    if (!best || d < best.d) best = { id, d };
  }
  // Far from everything (more than half of it changed): no suggestion is better than a wrong one.
  return best && best.d <= Math.max(2, Math.ceil(target.length / 2)) ? best.id : null;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
