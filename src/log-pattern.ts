/**
 * The PATTERN of `aics logs grep`, guarded against catastrophic backtracking (issue #17: `(a+)+$` hung for 100 s and
 * ignored SIGTERM, since a running regular expression blocks the event loop). A pattern that could backtrack badly
 * (a quantified group, a backreference, or more than one unbounded quantifier) is tested inside node:vm with a time
 * limit per line, which interrupts it; a line that exceeds the limit does not match and is counted. Other patterns
 * (words, classes, one quantifier) run directly: the vm costs a fraction of a millisecond per line.
 */
import vm from 'node:vm';

export const PATTERN_LINE_TIMEOUT_MS = 250;

export interface LinePattern {
  test(text: string): boolean;
}

/** Quantified group `(…)*`, `(…)+`, `(…){n,}`; a backreference; two or more unbounded quantifiers. */
function mayBacktrack(source: string): boolean {
  if (/\)(?:[*+?]|\{\d+,?\d*\})/.test(source)) return true;
  if (/\\[1-9]|\\k</.test(source)) return true;
  return (source.match(/(?<!\\)[*+]|\{\d+,\}/g) ?? []).length > 1;
}

export class GuardedPattern implements LinePattern {
  /** Lines on which the pattern ran out of time (they did not match). */
  timedOut = 0;
  private readonly context: vm.Context | null;
  private readonly script = new vm.Script('re.lastIndex = 0, re.test(text)');

  constructor(
    readonly regex: RegExp,
    private readonly timeoutMs = PATTERN_LINE_TIMEOUT_MS,
  ) {
    this.context = mayBacktrack(regex.source) ? vm.createContext({ re: regex, text: '' }) : null;
  }

  /** Whether the pattern is run under the time limit. */
  get guarded(): boolean {
    return this.context !== null;
  }

  test(text: string): boolean {
    if (!this.context) return this.regex.test(text);
    this.context.text = text;
    try {
      return this.script.runInContext(this.context, { timeout: this.timeoutMs }) === true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
      this.timedOut++;
      return false;
    }
  }
}
