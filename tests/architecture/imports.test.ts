/**
 * The shape of src/, as docs/architecture.md draws it: no import circle, dependencies pointing down the layers, ports
 * pointing inward, no file over 400 lines. A failure names the files (and prints the circle) so the fix is obvious.
 *
 * The allow-lists below name what breaks a rule on the day the rule was written, each with the reason and the branch
 * that removes it. The last test fails once an entry is no longer needed, so they only ever shrink: empty them as the
 * work lands.
 */
import { describe, expect, it } from 'vitest';
import { findCircles, readSources, type SourceFile } from './import-graph.js';

const MAX_LINES = 400;

/** Files over MAX_LINES today → why, and who splits them. */
const OVERSIZE_ALLOWED: Record<string, string> = {};

/** Import edges left out of the circle search today → why. */
const CIRCLE_EDGES_ALLOWED: Record<string, string> = {};

/** Import edges that break a layer rule today → why. */
const LAYER_EDGES_ALLOWED: Record<string, string> = {};

/** Modules with I/O: the task model imports none of them. */
const IO_MODULES = [
  /^node:(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|tls|cluster|worker_threads|readline)$/,
  /^(fs|net|http|https|child_process)$/,
  /^(better-sqlite3|pg|ws|undici|fastify|pino|openai|ink|react|prom-client|@oclif\/.*)$/,
];

const under =
  (...prefixes: string[]) =>
  (path: string) =>
    prefixes.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));

interface LayerRule {
  rule: string;
  /** The files the rule is about. */
  from: (path: string) => boolean;
  /** What they may not import: another file of src/ … */
  forbidden?: (target: string, from: string) => boolean;
  /** … or a package / node: module. */
  forbiddenExternal?: (specifier: string) => boolean;
}

/** docs/architecture.md, "Layers", as rules. */
const LAYER_RULES: LayerRule[] = [
  {
    rule: 'the task model (src/tasks) imports nothing above it',
    from: under('src/tasks/'),
    forbidden: (t) => !under('src/tasks/', 'src/errors.ts')(t),
  },
  {
    rule: 'the task model (src/tasks) imports nothing with I/O',
    from: under('src/tasks/'),
    forbiddenExternal: (s) => IO_MODULES.some((re) => re.test(s)),
  },
  {
    rule: 'the store does not import the services, the HTTP contract, the CLI or the monitor',
    from: under('src/store/'),
    forbidden: under('src/daemon/', 'src/app/', 'src/api/', 'src/cli/', 'src/commands/', 'src/tui/', 'src/sim/', 'src/doctor/'),
  },
  {
    rule: 'SQL stays in src/store: only the store imports a database driver',
    from: (p) => !p.startsWith('src/store/'),
    forbiddenExternal: (s) => s === 'better-sqlite3' || s === 'pg',
  },
  {
    rule: 'the use cases (src/app) do not import the fronts (HTTP, 轻简), the CLI or the monitor',
    from: under('src/app/'),
    forbidden: under('src/daemon/http/', 'src/daemon/qingjian/', 'src/cli/', 'src/commands/', 'src/tui/'),
  },
  {
    rule: 'the daemon does not import the CLI or the monitor',
    from: under('src/daemon/'),
    forbidden: under('src/cli/', 'src/commands/', 'src/tui/'),
  },
  {
    rule: 'ports point inward: the engine, agent, outbox, ops and the ports import no adapter (轻简 client, HTTP routes)',
    from: under('src/daemon/engine/', 'src/daemon/agent/', 'src/daemon/outbox/', 'src/daemon/ops/', 'src/daemon/ports.ts'),
    forbidden: under('src/daemon/qingjian/', 'src/daemon/http/'),
  },
  {
    rule: 'the HTTP contract (src/api) does not import the store, the daemon or the CLI',
    from: under('src/api/'),
    forbidden: under('src/store/', 'src/daemon/', 'src/app/', 'src/cli/', 'src/commands/', 'src/tui/'),
  },
  {
    rule: 'the monitor (src/tui) talks to the daemon only through src/api',
    from: under('src/tui/'),
    forbidden: under('src/daemon/', 'src/store/', 'src/app/', 'src/commands/'),
  },
  {
    rule: 'commands are the top: nothing imports one, and they never import each other',
    from: () => true,
    forbidden: (t, f) => t.startsWith('src/commands/') && t !== f,
  },
];

const sources = readSources();
const edgeName = (from: string, to: string) => `${from} -> ${to}`;

function layerViolations(files: SourceFile[]): { rule: string; edge: string }[] {
  const out: { rule: string; edge: string }[] = [];
  for (const file of files) {
    for (const r of LAYER_RULES) {
      if (!r.from(file.path)) continue;
      for (const target of file.internal)
        if (r.forbidden?.(target, file.path)) out.push({ rule: r.rule, edge: edgeName(file.path, target) });
      for (const spec of file.external) if (r.forbiddenExternal?.(spec)) out.push({ rule: r.rule, edge: edgeName(file.path, spec) });
    }
  }
  return out;
}

function graph(files: SourceFile[], skip: (edge: string) => boolean): Map<string, string[]> {
  return new Map(files.map((f) => [f.path, f.internal.filter((t) => !skip(edgeName(f.path, t)))]));
}

describe('the architecture of src/ (docs/architecture.md)', () => {
  it('reads every source file and its imports', () => {
    expect(sources.length).toBeGreaterThan(100);
    const ports = sources.find((f) => f.path === 'src/daemon/ports.ts');
    expect(ports).toBeDefined();
    // The parser sees multi-line, type-only, re-export and dynamic imports alike.
    const protocol = sources.find((f) => f.path === 'src/daemon/qingjian/protocol.ts')!;
    expect(protocol.internal).toContain('src/daemon/qingjian/parse-frame.ts');
  });

  it('finds every circle and shows it as a path', () => {
    const edges = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'd.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    expect(findCircles(edges)).toEqual([
      ['a.ts', 'b.ts', 'c.ts', 'a.ts'],
      ['e.ts', 'e.ts'],
    ]);
    expect(
      findCircles(
        new Map([
          ['a.ts', ['b.ts']],
          ['b.ts', []],
        ]),
      ),
    ).toEqual([]);
  });

  it('has no import circle', () => {
    const circles = findCircles(graph(sources, (e) => e in CIRCLE_EDGES_ALLOWED));
    const shown = circles.map((c) => `  ${c.join('\n    → ')}`).join('\n');
    expect(circles, `import circles:\n${shown}`).toEqual([]);
  });

  it('keeps the layer rules', () => {
    const broken = layerViolations(sources).filter((v) => !(v.edge in LAYER_EDGES_ALLOWED));
    const shown = broken.map((v) => `  ${v.rule}:\n    ${v.edge}`).join('\n');
    expect(broken, `layer rules broken:\n${shown}`).toEqual([]);
  });

  it(`has no file over ${MAX_LINES} lines`, () => {
    const offenders = sources
      .filter((f) => f.lines > MAX_LINES && !(f.path in OVERSIZE_ALLOWED))
      .map((f) => `  ${f.path}: ${f.lines} lines`);
    expect(offenders, `files over ${MAX_LINES} lines (split them along their jobs):\n${offenders.join('\n')}`).toEqual([]);
  });

  it('allows only exceptions that are still needed (empty the lists as the work lands)', () => {
    const stale: string[] = [];
    for (const path of Object.keys(OVERSIZE_ALLOWED)) {
      const file = sources.find((f) => f.path === path);
      if (!file || file.lines <= MAX_LINES) stale.push(`OVERSIZE_ALLOWED: ${path} (now ${file ? `${file.lines} lines` : 'gone'})`);
    }
    const edges = new Set(sources.flatMap((f) => f.internal.map((t) => edgeName(f.path, t))));
    for (const edge of Object.keys(CIRCLE_EDGES_ALLOWED)) {
      const withIt = findCircles(graph(sources, (e) => e !== edge && e in CIRCLE_EDGES_ALLOWED)).length;
      const without = findCircles(graph(sources, (e) => e in CIRCLE_EDGES_ALLOWED)).length;
      if (!edges.has(edge) || withIt === without) stale.push(`CIRCLE_EDGES_ALLOWED: ${edge}`);
    }
    const broken = new Set(layerViolations(sources).map((v) => v.edge));
    for (const edge of Object.keys(LAYER_EDGES_ALLOWED)) if (!broken.has(edge)) stale.push(`LAYER_EDGES_ALLOWED: ${edge}`);
    expect(stale, `allow-list entries no longer needed: remove them\n  ${stale.join('\n  ')}`).toEqual([]);
  });
});
