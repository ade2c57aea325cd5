/**
 * Which `file_url` values a task may carry (DESIGN.md "Security"): http(s) URLs, or a path inside the configured
 * files folder. Never file://, never a path that climbs out with `..` (percent-encoded or not), never an absolute
 * path elsewhere, never a control character. Pure: path arithmetic only, the file system is not touched, so a
 * symbolic link inside the folder is judged at send time (src/daemon/engine/action-runner.ts).
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

export type FileUrlCheck = { ok: true; kind: 'url' | 'path'; value: string } | { ok: false; error: string };

export function checkFileUrl(fileUrl: string, filesDir: string): FileUrlCheck {
  const value = fileUrl.trim();
  // A NUL cuts a path short in C (the bridge's side); the URL parser silently drops tabs and newlines.
  if (/[\u0000-\u001f\u007f]/.test(value)) return { ok: false, error: 'must not contain control characters' };
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  // A Windows drive letter ("C:\…") looks like a scheme; it is a path, and an absolute one.
  if (scheme && !/^[a-z]:[\\/]/i.test(value)) {
    if (scheme !== 'http' && scheme !== 'https')
      return { ok: false, error: `only http(s) URLs or paths inside the files folder are allowed, not ${scheme}:` };
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { ok: false, error: `"${value}" is not a valid URL` };
    }
    if (!url.hostname) return { ok: false, error: `"${value}" has no host` };
    return { ok: true, kind: 'url', value: url.toString() };
  }
  if (value.split(/[\\/]/).includes('..')) return { ok: false, error: 'must not contain ".." path segments' };
  // Whoever opens the file may percent-decode the path first: "%2e%2e/" (or "%252e%252e/") is ".." then.
  if (percentDecoded(value).split(/[\\/]/).includes('..'))
    return { ok: false, error: 'must not contain ".." path segments, percent-encoded or not' };
  const root = resolve(filesDir);
  const full = isAbsolute(value) ? resolve(value) : resolve(root, value);
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '..') {
    return { ok: false, error: `path must be inside the files folder ${root} (AICS_FILES_DIR)` };
  }
  return { ok: true, kind: 'path', value: full };
}

/** `text` percent-decoded until it no longer changes (a few rounds at most); malformed escapes stay as they are. */
function percentDecoded(text: string): string {
  let current = text;
  for (let round = 0; round < 4 && current.includes('%'); round++) {
    const next = current.replace(/%[0-9a-f]{2}/gi, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
    if (next === current) break;
    current = next;
  }
  return current;
}
