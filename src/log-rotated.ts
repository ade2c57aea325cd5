/**
 * The rotated copies of the log file that logrotate leaves beside it, so `aics logs grep` searches the whole
 * history and not only today's file:
 *   aics.log.1, aics.log.2.gz, …        (the default numbering; a higher number is older)
 *   aics.log-20260228, aics.log-20260227.gz, … (dateext; an earlier date is older)
 * Compressed copies are read through gunzip as a stream.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

export interface RotatedFile {
  path: string;
  /** Last written: every line in it is older. */
  mtimeMs: number;
}

/** Rotated copies of `logFile`, oldest first. */
export function rotatedLogFiles(logFile: string): RotatedFile[] {
  const dir = dirname(logFile);
  const base = basename(logFile);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const numbered = new RegExp(`^${escaped}\\.(\\d+)(\\.gz)?$`);
  const dated = new RegExp(`^${escaped}-(\\d{8}(?:\\d{2})?|\\d{4}-\\d{2}-\\d{2})(\\.gz)?$`);
  const found: { path: string; order: number; stamp: string }[] = [];
  for (const name of names) {
    const n = numbered.exec(name);
    if (n) found.push({ path: join(dir, name), order: -Number(n[1]), stamp: '' });
    const d = dated.exec(name);
    if (d) found.push({ path: join(dir, name), order: Number.NEGATIVE_INFINITY, stamp: d[1]!.replace(/-/g, '') });
  }
  // dated copies (oldest date first), then numbered ones (highest number first).
  found.sort((a, b) => (a.order === b.order ? a.stamp.localeCompare(b.stamp) : a.order - b.order));
  return found.flatMap((f) => {
    try {
      return [{ path: f.path, mtimeMs: statSync(f.path).mtimeMs }];
    } catch {
      return []; // rotated away while we looked
    }
  });
}

/** The lines of a rotated copy, gunzipped when its name ends in .gz. */
export async function* readRotatedLines(path: string): AsyncGenerator<string> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    raw.destroy();
  }
}
