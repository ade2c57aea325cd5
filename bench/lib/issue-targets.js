/**
 * The performance targets the project set itself (issue 15), read from the benchmarks' JSON: one row per target
 * with what aics did, the baseline measured in the same run, the ratio, the target and whether it was met. run-all.js
 * adds these rows to its report and prints them as a table, so that one `npm run bench` answers "where do we stand".
 * A benchmark that did not run (or failed) gives its rows with `met: null`.
 */

/** @typedef {{ row: string, aics: string, baseline: string, ratio: number | null, target: string, met: boolean | null }} TargetRow */

const fmt = (n, digits = 0) =>
  n === undefined || n === null || Number.isNaN(n) ? '?' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits });

/** A ratio row: `met` compares `ratio` with `limit` (at least or at most). */
function row(name, aics, baseline, ratio, target, atLeast, limit) {
  const known = typeof ratio === 'number' && Number.isFinite(ratio);
  return {
    row: name,
    aics,
    baseline,
    ratio: known ? ratio : null,
    target,
    met: known ? (atLeast ? ratio >= limit : ratio <= limit) : null,
  };
}

/** @returns {TargetRow[]} */
export function issueTargets(benches) {
  const rows = [];
  const intake = benches.intake;
  rows.push(
    row(
      'intake: received and committed',
      `${fmt(intake?.aics?.requests_per_s)} tasks/s`,
      `bare node:http + better-sqlite3 committing each request: ${fmt(intake?.bare_http_sqlite?.requests_per_s)}/s`,
      intake?.ratios?.aics_vs_bare_http_sqlite,
      '≥ 0.6 ×',
      true,
      0.6,
    ),
  );
  const schedule = benches.schedule;
  rows.push(
    row(
      `schedule: ${fmt(schedule?.tasks)} time_reach due at once`,
      `${fmt(schedule?.aics?.sends_per_s)} sends/s`,
      `the bridge client alone: ${fmt(schedule?.bare_bridge?.sends_per_s)} sends/s`,
      schedule?.ratios?.aics_vs_bare_bridge_throughput,
      '≥ 0.5 ×',
      true,
      0.5,
    ),
  );
  // p99 lateness ≤ 2 × (tasks ÷ the bridge's rate): the time the bridge alone would need, twice.
  const bridgeS = schedule ? schedule.tasks / schedule.bare_bridge?.sends_per_s : undefined;
  const latenessS = schedule?.aics?.lateness_ms?.p99 / 1000;
  rows.push(
    row(
      'schedule: p99 lateness',
      `${fmt(latenessS, 1)} s`,
      `tasks ÷ the bridge's rate: ${fmt(bridgeS, 1)} s`,
      bridgeS ? Number((latenessS / bridgeS).toFixed(2)) : undefined,
      '≤ 2 ×',
      false,
      2,
    ),
  );
  const match = benches.match;
  rows.push(
    row(
      `match: message → send, ${fmt(match?.tasks_waiting)} waiting`,
      `send p99 ${fmt(match?.aics?.send_ms?.p99, 2)} ms`,
      `raw WebSocket round trip p99 ${fmt(match?.bare_ws?.rtt_ms?.p99, 2)} ms`,
      match?.ratios?.send_p99_vs_bare_rtt_p99,
      '≤ 10 ×',
      false,
      10,
    ),
  );
  const conv = benches.conversations;
  rows.push(
    row(
      `conversations: ${fmt(conv?.customers)} customers, p99`,
      `p99 ${fmt(conv?.agent?.latency_ms?.p99)} ms`,
      `the LLM called directly: p99 ${fmt(conv?.baseline_direct_llm?.latency_ms?.p99)} ms`,
      conv?.ratio_p99,
      '≤ 1.5 ×',
      false,
      1.5,
    ),
  );
  const rss = conv?.agent?.peak_rss_mb;
  rows.push({
    row: 'conversations: peak RSS',
    aics: `${fmt(rss)} MB`,
    baseline: '(absolute target)',
    ratio: null,
    target: '≤ 300 MB',
    met: typeof rss === 'number' ? rss <= 300 : null,
  });
  const version = benches['cli-start']?.commands?.version?.median_ms;
  rows.push({
    row: 'aics --version',
    aics: `${fmt(version)} ms`,
    baseline: `node -e 0: ${fmt(benches['cli-start']?.baseline?.node_empty?.median_ms)} ms`,
    ratio: benches['cli-start']?.commands?.version?.ratio_to_node ?? null,
    target: '≤ 250 ms',
    met: typeof version === 'number' ? version <= 250 : null,
  });
  const list = benches['task-list'];
  rows.push(
    row(
      `task list --status pending on ${fmt(list?.tasks)} tasks`,
      `${fmt(list?.ms?.aics_task_list?.p50)} ms`,
      `the sqlite3 shell, same queries: ${fmt(list?.ms?.sqlite3_shell?.p50)} ms`,
      list?.ratios?.aics_vs_sqlite3_shell,
      '≤ 1.5 ×',
      false,
      1.5,
    ),
  );
  return rows;
}

/** The rows as a plain-text table (for a terminal). */
export function targetsTable(rows) {
  const cells = rows.map((r) => [
    r.row,
    r.aics,
    r.baseline,
    r.ratio === null ? '' : `${r.ratio} ×`,
    r.target,
    r.met === null ? 'not run' : r.met ? 'met' : 'NOT met',
  ]);
  const head = ['target', 'aics', 'baseline (same run)', 'ratio', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((x, i) => x.padEnd(widths[i])).join('  ');
  return [line(head), ...cells.map(line)].join('\n');
}
