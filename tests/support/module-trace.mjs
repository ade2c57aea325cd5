/**
 * `node --import tests/support/module-trace.mjs …` appends the URL (ES modules) or path (CommonJS) of every module
 * the process loads, one a line, to the file named by AICS_TRACE_MODULES: what a command imports is then a fact a
 * test can check, with no clock involved. Node's own modules (node:…) are left out.
 */
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const out = process.env.AICS_TRACE_MODULES;

/** The loader hook (it runs on the hooks thread): every ES module, and the CommonJS files imported from one. */
export async function load(url, context, next) {
  if (out && !url.startsWith('node:')) appendFileSync(out, `${url}\n`);
  return next(url, context);
}

if (isMainThread && out) {
  register(import.meta.url);
  // CommonJS files required by other CommonJS files never reach the hook above.
  const original = Module._load;
  Module._load = function (request, parent, isMain) {
    if (!Module.isBuiltin(request)) {
      try {
        appendFileSync(out, `${Module._resolveFilename(request, parent, isMain)}\n`);
      } catch {
        // not resolvable: the real load below reports it
      }
    }
    return original.apply(this, arguments);
  };
}
