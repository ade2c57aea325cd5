/**
 * The import graph of src/, read with TypeScript's own pre-processor (every `import … from`, `export … from`,
 * `import('…')` and `require('…')`, type-only ones included: a type import is a dependency too).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Repository-relative, with forward slashes: `src/daemon/ports.ts`. */
  path: string;
  lines: number;
  /** Files of src/ it imports (repository-relative). */
  internal: string[];
  /** Package and node: specifiers it imports, as written (`ws`, `node:fs`, `@oclif/core`). */
  external: string[];
}

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(full));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const toRepo = (full: string) => relative(ROOT, full).split('\\').join('/');

/** `./x.js` → `src/…/x.ts` (or .tsx, or the folder's index); null when it names no file of src/. */
function resolveRelative(from: string, specifier: string, known: Set<string>): string | null {
  const base = toRepo(resolve(ROOT, dirname(from), specifier));
  const stem = base.replace(/\.(js|jsx|ts|tsx)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.tsx`, `${base}/index.ts`, `${base}/index.tsx`]) {
    if (known.has(candidate)) return candidate;
  }
  return null;
}

export function readSources(): SourceFile[] {
  const files = listSources(join(ROOT, 'src')).map(toRepo).sort();
  const known = new Set(files);
  return files.map((path) => {
    const text = readFileSync(join(ROOT, path), 'utf8');
    const info = ts.preProcessFile(text, true, true);
    const internal = new Set<string>();
    const external = new Set<string>();
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) {
        const target = resolveRelative(path, fileName, known);
        if (!target) throw new Error(`${path} imports ${fileName}, which is no file under src/`);
        internal.add(target);
      } else {
        external.add(fileName);
      }
    }
    return { path, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0), internal: [...internal], external: [...external] };
  });
}

/** Every import circle, each as a path `a → b → … → a` (one per strongly connected component, Tarjan's). */
export function findCircles(edges: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (edges.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return components.map((component) => cyclePath(component, edges));
}

/** One concrete cycle through a strongly connected component, for the failure message. */
function cyclePath(component: string[], edges: Map<string, string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  // Breadth-first from start back to start, inside the component: the shortest circle through it.
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at = v; at !== start; at = previous.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component, component[0]!];
}
