/**
 * --help that wraps at the terminal's width: the descriptions in the source are hard-wrapped for the editor, so
 * each paragraph is joined into one line here and oclif wraps it to the real width (OCLIF_COLUMNS, else the
 * terminal's, else 80). Indented lines (lists, exit codes, examples of commands) keep their own line breaks.
 */
// oclif's help module, not its index: --help need not load all of oclif (bin/run.js explains).
import type { Command } from '@oclif/core';
import { Help } from '@oclif/core/help';

export default class AicsHelp extends Help {
  override formatCommand(command: Command.Loadable): string {
    return super.formatCommand({ ...command, description: command.description && reflow(command.description) } as Command.Loadable);
  }
}

export function reflow(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const prev = out.at(-1);
    const joinable =
      prev !== undefined &&
      prev.trim() !== '' &&
      !/^\s/.test(line) &&
      line.trim() !== '' &&
      !/^\s/.test(prev) &&
      !/:$/.test(prev) &&
      prev !== prev.toUpperCase();
    if (joinable) out[out.length - 1] = `${prev} ${line}`;
    else out.push(line);
  }
  return out.join('\n');
}
