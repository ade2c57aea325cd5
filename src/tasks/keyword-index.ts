/**
 * Which of many keyword tasks a message could fire, in time linear in the message rather than in the number of
 * tasks (issue 15, matching). Keywords and the message are normalised once (normalizeText, as keywordMatches does);
 * "contains" keywords are found by one Aho–Corasick pass over the message, exact ones by one map lookup. The
 * index only narrows the candidates: the caller still runs the trigger's own match on each, so the rule of what
 * fires stays in one place (./triggers). Pure.
 *
 * Tasks come and go one at a time (armed, claimed). An addition is kept in a short list scanned directly until
 * the list is long enough to pay for rebuilding the automaton; a removal just drops the entry.
 */
import { normalizeText } from './normalize.js';

export interface KeywordEntry {
  id: string;
  words: readonly string[];
  exact: boolean;
}

interface Entry {
  words: string[];
  exact: boolean;
}

/** Rebuild when this many additions wait in the scanned list, plus a quarter of the automaton's entries. */
const MIN_PENDING_BEFORE_REBUILD = 32;

export class KeywordIndex {
  private readonly entries = new Map<string, Entry>();
  /** Normalised exact keyword → the ids with it. */
  private readonly exactWords = new Map<string, Set<string>>();
  /** Added since the automaton was built ("contains" entries only). */
  private readonly pending = new Set<string>();
  private automaton: Automaton | null = null;
  /** The ids whose current keywords the automaton holds (one removed, or added again since, is not among them). */
  private readonly inAutomaton = new Set<string>();

  constructor(entries: Iterable<KeywordEntry> = []) {
    for (const e of entries) this.add(e);
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  add({ id, words, exact }: KeywordEntry): void {
    this.remove(id);
    const normalised = [...new Set(words.map(normalizeText).filter((w) => w !== ''))];
    this.entries.set(id, { words: normalised, exact });
    if (exact) {
      for (const w of normalised) {
        const ids = this.exactWords.get(w) ?? new Set<string>();
        ids.add(id);
        this.exactWords.set(w, ids);
      }
    } else {
      this.pending.add(id);
    }
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.pending.delete(id);
    this.inAutomaton.delete(id);
    if (entry.exact) {
      for (const w of entry.words) {
        const ids = this.exactWords.get(w);
        ids?.delete(id);
        if (ids?.size === 0) this.exactWords.delete(w);
      }
    }
  }

  /** The ids with a keyword the message says (a superset is never returned: each id here has a matching keyword). */
  candidates(message: string): Set<string> {
    const text = normalizeText(message);
    const out = new Set<string>(this.exactWords.get(text) ?? []);
    if (text === '') return out;
    if (this.pending.size > MIN_PENDING_BEFORE_REBUILD + this.inAutomaton.size / 4) this.rebuild();
    for (const id of this.automaton?.idsIn(text) ?? []) if (this.inAutomaton.has(id)) out.add(id);
    for (const id of this.pending) {
      if (this.entries.get(id)!.words.some((w) => text.includes(w))) out.add(id);
    }
    return out;
  }

  private rebuild(): void {
    const contains: [string, Entry][] = [...this.entries].filter(([, e]) => !e.exact);
    this.automaton = new Automaton(contains);
    this.inAutomaton.clear();
    for (const [id] of contains) this.inAutomaton.add(id);
    this.pending.clear();
  }
}

/** Aho–Corasick over UTF-16 code units (as String.prototype.includes compares). */
class Automaton {
  private readonly next: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  /** The ids whose keyword ends at this node. */
  private readonly out: string[][] = [[]];
  /** The nearest node down the failure chain that has ids (-1: none). */
  private readonly outLink: number[] = [-1];

  constructor(entries: [string, Entry][]) {
    for (const [id, { words }] of entries) for (const w of words) this.insert(w, id);
    this.link();
  }

  idsIn(text: string): Set<string> {
    const found = new Set<string>();
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      while (state !== 0 && !this.next[state]!.has(c)) state = this.fail[state]!;
      state = this.next[state]!.get(c) ?? 0;
      for (let s = this.out[state]!.length ? state : this.outLink[state]!; s !== -1; s = this.outLink[s]!) {
        for (const id of this.out[s]!) found.add(id);
      }
    }
    return found;
  }

  private insert(word: string, id: string): void {
    let state = 0;
    for (let i = 0; i < word.length; i++) {
      const c = word.charCodeAt(i);
      let to = this.next[state]!.get(c);
      if (to === undefined) {
        to = this.next.length;
        this.next.push(new Map());
        this.fail.push(0);
        this.out.push([]);
        this.outLink.push(-1);
        this.next[state]!.set(c, to);
      }
      state = to;
    }
    this.out[state]!.push(id);
  }

  /** Breadth-first: each node's failure link is the longest proper suffix of its path that is also a path. */
  private link(): void {
    const queue: number[] = [...this.next[0]!.values()];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      for (const [c, child] of this.next[node]!) {
        let f = this.fail[node]!;
        while (f !== 0 && !this.next[f]!.has(c)) f = this.fail[f]!;
        const target = this.next[f]!.get(c);
        this.fail[child] = target !== undefined && target !== child ? target : 0;
        const fc = this.fail[child]!;
        this.outLink[child] = this.out[fc]!.length ? fc : this.outLink[fc]!;
        queue.push(child);
      }
    }
  }
}
