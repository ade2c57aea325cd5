/**
 * Which `file_url` values a task may carry (DESIGN.md "Security"): http(s) URLs, or a path inside the configured
 * files folder. Never file://, never a path that climbs out with `..`, never an absolute path elsewhere. Pure:
 * path arithmetic only, the file system is not touched.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';

export type FileUrlCheck = { ok: true; kind: 'url' | 'path'; value: string } | { ok: false; error: string };

export function checkFileUrl(fileUrl: string, filesDir: string): FileUrlCheck {
  const value = fileUrl.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  // A Windows drive letter ("C:\…") looks like a scheme; it is a path, and an absolute one.
  if (scheme && !/^[a-z]:[\\/]/i.test(value)) {
    if (scheme !== 'http' && scheme !== 'https') return { ok: false, error: `only http(s) URLs or paths inside the files folder are allowed, not ${scheme}:` };
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
  const root = resolve(filesDir);
  const full = isAbsolute(value) ? resolve(value) : resolve(root, value);
  const rel = relative(root, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '..') {
    return { ok: false, error: `path must be inside the files folder ${root} (AICS_FILES_DIR)` };
  }
  return { ok: true, kind: 'path', value: full };
}
