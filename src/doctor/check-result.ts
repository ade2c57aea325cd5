/** What one check of `aics doctor` found. */
export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  check: string;
  verdict: Verdict;
  /** What was found. */
  detail: string;
  /** What to do, when it is not ok. */
  fix?: string;
}
