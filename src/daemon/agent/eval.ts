/**
 * `aics agent eval FILE`: the agent against a labelled set of customer messages. Each case is a fresh conversation
 * (one or more turns; a burst is several messages merged into one turn) labelled with what its last turn should
 * decide (decision.ts). The result: a confusion table of categories, precision and recall of 派单 and 转接人工,
 * FAQ accuracy, the share of turns answered, and the thresholds the file sets, each passed or not.
 *
 *   name: …
 *   thresholds: { false_dispatch_max: 0, false_handoff_rate_max: 0.02, faq_accuracy_min: 0.9, answered_min: 1 }
 *   cases:
 *     - [名片多少钱, faq:price]                                 # text, expected decision
 *     - { say: [我要印名片 500张, 确认], expect: dispatch, fields: { product: 名片, quantity: 500 } }
 *     - { burst: [在吗, 名片多少钱], expect: faq:price }
 */
import { z } from 'zod';
import { readDataFile } from './data-file.js';
import { categoryOf, DECISION_CATEGORIES, decisionOf, type DecisionCategory } from './decision.js';
import type { LocalAgent } from './dialogue.js';

const LABEL = z
  .string()
  .regex(
    /^(faq:[\w-]+|smalltalk|ask|confirm|dispatch|handoff|cancel|payment|status|file)$/,
    'a decision: faq:<id>, smalltalk, ask, confirm, dispatch, handoff, cancel, payment, status or file',
  );

const caseSchema = z.union([
  z.tuple([z.string(), LABEL]).transform(([say, expect]) => ({ turns: [say], expect, fields: undefined, note: undefined })),
  z
    .object({
      say: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
      burst: z.array(z.string()).min(1).optional(),
      expect: LABEL,
      fields: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      note: z.string().optional(),
    })
    .strict()
    .refine((c) => (c.say === undefined) !== (c.burst === undefined), { message: 'a case has say or burst' })
    .transform((c) => ({
      turns: c.burst ? [c.burst.join('\n')] : typeof c.say === 'string' ? [c.say] : c.say!,
      expect: c.expect,
      fields: c.fields,
      note: c.note,
    })),
]);

const thresholdsSchema = z
  .object({
    false_dispatch_max: z.number().int().min(0).optional(),
    false_handoff_rate_max: z.number().min(0).max(1).optional(),
    faq_accuracy_min: z.number().min(0).max(1).optional(),
    answered_min: z.number().min(0).max(1).optional(),
    accuracy_min: z.number().min(0).max(1).optional(),
    dispatch_recall_min: z.number().min(0).max(1).optional(),
    handoff_recall_min: z.number().min(0).max(1).optional(),
  })
  .strict();

export const evalFileSchema = z
  .object({ name: z.string().optional(), thresholds: thresholdsSchema.default({}), cases: z.array(caseSchema).min(1) })
  .strict();
export type EvalFile = z.infer<typeof evalFileSchema>;
export type Thresholds = z.infer<typeof thresholdsSchema>;

export function loadEvalFile(file: string): EvalFile {
  return readDataFile(file, evalFileSchema, 'FILE');
}

export interface CaseResult {
  n: number;
  turns: string[];
  expect: string;
  got: string;
  reply: string;
  ok: boolean;
  /** A 派单 in a turn before the last (never wanted). */
  early_dispatch: boolean;
  fields_mismatch: string | null;
}

export interface Rate {
  value: number | null;
  of: number;
}

export interface EvalReport {
  provider: string;
  cases: number;
  turns: number;
  correct: number;
  accuracy: number;
  confusion: Record<string, Record<string, number>>;
  dispatch: { precision: Rate; recall: Rate; false: number };
  handoff: { precision: Rate; recall: Rate; false: number; false_rate: Rate };
  faq_accuracy: Rate;
  answered: Rate;
  checks: { name: string; limit: number; value: number | null; ok: boolean }[];
  ok: boolean;
  results: CaseResult[];
}

export async function runEval(local: LocalAgent, file: EvalFile): Promise<EvalReport> {
  const results: CaseResult[] = [];
  let turns = 0;
  let answered = 0;
  for (const [i, c] of file.cases.entries()) {
    const customer = { id: `eval_${i + 1}`, name: `客户${i + 1}` };
    let early = false;
    let last = null;
    for (const [t, text] of c.turns.entries()) {
      last = await local.say(customer, text);
      turns++;
      if (last?.sent.length) answered++;
      if (t < c.turns.length - 1 && last?.orders.length) early = true;
    }
    const got = last
      ? decisionOf(
          { tool_calls: last.tool_calls, handoff: last.handoff, dispatched: last.orders.length, replied: last.sent.length > 0 },
          local.agent.faq,
        )
      : 'none';
    let fieldsMismatch: string | null = null;
    if (c.fields && got === 'dispatch') {
      const f = last!.orders[0]!.fields;
      const wrong = Object.entries(c.fields).filter(([k, v]) => String(f[k]) !== String(v));
      if (wrong.length) fieldsMismatch = wrong.map(([k, v]) => `${k}: want ${v}, got ${String(f[k] ?? '-')}`).join('; ');
    }
    results.push({
      n: i + 1,
      turns: c.turns,
      expect: c.expect,
      got,
      reply: last?.sent.join(' / ') ?? '',
      ok: got === c.expect && !fieldsMismatch && !early,
      early_dispatch: early,
      fields_mismatch: fieldsMismatch,
    });
  }
  return score(local.agent.provider, results, turns, answered, file.thresholds);
}

const rate = (num: number, of: number): Rate => ({ value: of ? num / of : null, of });

function score(provider: string, results: CaseResult[], turns: number, answered: number, th: Thresholds): EvalReport {
  const confusion: Record<string, Record<string, number>> = {};
  for (const r of results) {
    const row = (confusion[categoryOf(r.expect)] ??= {});
    row[categoryOf(r.got)] = (row[categoryOf(r.got)] ?? 0) + 1;
  }
  const count = (f: (r: CaseResult) => boolean) => results.filter(f).length;
  const is = (r: CaseResult, k: 'expect' | 'got', c: DecisionCategory) => categoryOf(r[k]) === c;
  const dTp = count((r) => is(r, 'expect', 'dispatch') && is(r, 'got', 'dispatch') && !r.fields_mismatch);
  const dPredicted = count((r) => is(r, 'got', 'dispatch'));
  const dFalse = count(
    (r) => (is(r, 'got', 'dispatch') && (!is(r, 'expect', 'dispatch') || r.fields_mismatch !== null)) || r.early_dispatch,
  );
  const hTp = count((r) => is(r, 'expect', 'handoff') && is(r, 'got', 'handoff'));
  const hPredicted = count((r) => is(r, 'got', 'handoff'));
  const notHandoff = count((r) => !is(r, 'expect', 'handoff'));
  const hFalse = hPredicted - hTp;
  const faqCases = results.filter((r) => is(r, 'expect', 'faq'));
  const report: Omit<EvalReport, 'checks' | 'ok'> = {
    provider,
    cases: results.length,
    turns,
    correct: count((r) => r.ok),
    accuracy: count((r) => r.ok) / results.length,
    confusion,
    dispatch: {
      precision: rate(dTp, dPredicted),
      recall: rate(
        dTp,
        count((r) => is(r, 'expect', 'dispatch')),
      ),
      false: dFalse,
    },
    handoff: {
      precision: rate(hTp, hPredicted),
      recall: rate(
        hTp,
        count((r) => is(r, 'expect', 'handoff')),
      ),
      false: hFalse,
      false_rate: rate(hFalse, notHandoff),
    },
    faq_accuracy: rate(faqCases.filter((r) => r.got === r.expect).length, faqCases.length),
    answered: rate(answered, turns),
    results,
  };
  const checks: EvalReport['checks'] = [];
  const max = (name: string, limit: number | undefined, value: number | null) =>
    limit !== undefined && checks.push({ name, limit, value, ok: value !== null && value <= limit });
  const min = (name: string, limit: number | undefined, value: number | null) =>
    limit !== undefined && checks.push({ name, limit, value, ok: value === null || value >= limit });
  max('false_dispatch_max', th.false_dispatch_max, report.dispatch.false);
  max('false_handoff_rate_max', th.false_handoff_rate_max, report.handoff.false_rate.value ?? 0);
  min('faq_accuracy_min', th.faq_accuracy_min, report.faq_accuracy.value);
  min('answered_min', th.answered_min, report.answered.value);
  min('accuracy_min', th.accuracy_min, report.accuracy);
  min('dispatch_recall_min', th.dispatch_recall_min, report.dispatch.recall.value);
  min('handoff_recall_min', th.handoff_recall_min, report.handoff.recall.value);
  return { ...report, checks, ok: checks.every((c) => c.ok) };
}

/** The confusion table's rows and columns: the categories that occur, in DECISION_CATEGORIES order. */
export function confusionAxes(c: EvalReport['confusion']): DecisionCategory[] {
  const seen = new Set<string>([...Object.keys(c), ...Object.values(c).flatMap((row) => Object.keys(row))]);
  return DECISION_CATEGORIES.filter((k) => seen.has(k));
}
