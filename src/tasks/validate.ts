/** The one check a task passes before it is stored, whether it came over HTTP or from `aics task add`. Pure. */
import { ValidationError } from '../errors.js';
import { checkFileUrl } from './file-url.js';
import { parseTaskPayload, type TaskPayload } from './schema.js';

/** parseTaskPayload, then the file_url policy (http(s) or a path inside the files folder). */
export function validateTask(input: unknown, filesDir: string): TaskPayload {
  const payload = parseTaskPayload(input);
  if (payload.action.type !== 'send_message') {
    const check = checkFileUrl(payload.action.file_url, filesDir);
    if (!check.ok) throw new ValidationError(`action.file_url: ${check.error}`, 'action.file_url');
  }
  return payload;
}
