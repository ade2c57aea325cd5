/**
 * Every curl command of the seed's API section and its checks, exactly as written there (only the port differs:
 * the daemon listens on a free one), against the real `aics serve --api-only` process.
 */
import { execFileSync } from 'node:child_process';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED, tempDir } from '../support/daemon.js';
import { startServe } from '../support/spawn.js';

const SEED_CURLS: string[] = [
  `curl -X POST http://localhost:6060/api/task/receive \\
-H "Content-Type: application/json" \\
-d '{
"task_id": "TASK_20260227_001",
"type": "send_file_after_reply",
"customer": {"id": "customer_123", "name": "小明"},
"trigger": {
"type": "specified_customer_reply",
"customer_id": "customer_123",
"customer_name": "小明",
"keyword": "好的",
"exact_match": false
},
"action": {"type": "send_message", "message": "这是您要的文件"},
"priority": "normal",
"timeout_hours": 24,
"created_by": "设计师 lz"
}'`,
  `curl http://localhost:6060/api/task/status/TASK_20260227_001`,
  `curl -X POST http://localhost:6060/api/task/cancel \\
-H "Content-Type: application/json" \\
-d '{"task_id": "TASK_20260227_001", "reason": "客户取消订单"}'`,
  `curl "http://localhost:6060/api/task/list?status=pending&page=1&page_size=10"`,
  `curl http://localhost:6060/api/health`,
];

/** Splits a shell command line: single and double quotes, backslash-newline continuations. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && line[i + 1] === '\n') {
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
      continue;
    }
    word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words;
}

function hasCurl(): boolean {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs one seed command: with the real curl when there is one, else the identical request through undici. */
async function runSeedCommand(command: string, port: number): Promise<unknown> {
  const words = shellWords(command.replaceAll(':6060', `:${port}`));
  if (hasCurl()) return JSON.parse(execFileSync('curl', ['-sS', ...words.slice(1)], { encoding: 'utf8' }));
  let method = 'GET';
  let body: string | undefined;
  let url = '';
  const headers: Record<string, string> = {};
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-X') method = words[++i]!;
    else if (w === '-H') {
      const [k, ...v] = words[++i]!.split(':');
      headers[k!.trim().toLowerCase()] = v.join(':').trim();
    } else if (w === '-d') {
      body = words[++i]!;
      if (method === 'GET') method = 'POST';
    } else url = w;
  }
  const res = await request(url.replace('localhost', '127.0.0.1'), { method: method as 'GET', headers, body });
  return res.body.json();
}

let serve: Awaited<ReturnType<typeof startServe>>;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  tmp = tempDir();
  serve = await startServe(['--api-only', '--port', '0'], { cwd: tmp.dir });
});
afterAll(async () => {
  serve.child.kill('SIGTERM');
  await serve.exit;
  tmp.cleanup();
});

describe("the seed's curl commands against aics serve --api-only", () => {
  it('parses the commands as the shell would', () => {
    const words = shellWords(SEED_CURLS[0]!);
    expect(words.slice(0, 6)).toEqual([
      'curl',
      '-X',
      'POST',
      'http://localhost:6060/api/task/receive',
      '-H',
      'Content-Type: application/json',
    ]);
    expect(JSON.parse(words[7]!)).toEqual(SEED.receive);
  });

  it('1. 接收任务 answers as the seed says', async () => {
    expect(await runSeedCommand(SEED_CURLS[0]!, serve.port)).toEqual(SEED.receive_response);
  });

  it('2. 查询任务状态 shows the task', async () => {
    const res = (await runSeedCommand(SEED_CURLS[1]!, serve.port)) as { code: number; data: { task_id: string; customer_name: string } };
    expect(res).toMatchObject({ code: 200, message: 'OK', data: { task_id: 'TASK_20260227_001', customer_name: '小明' } });
  });

  it('3. 取消任务 cancels it', async () => {
    expect(await runSeedCommand(SEED_CURLS[2]!, serve.port)).toEqual({
      code: 200,
      message: '任务取消成功',
      data: { task_id: 'TASK_20260227_001', status: 'cancelled', reason: '客户取消订单' },
    });
  });

  it('4. 任务列表 pages with the seed parameters', async () => {
    expect(await runSeedCommand(SEED_CURLS[3]!, serve.port)).toEqual({
      code: 200,
      message: 'OK',
      data: { total: 0, page: 1, page_size: 10, items: [] },
    });
  });

  it("5. 健康检查 has the seed's shape", async () => {
    expect(await runSeedCommand(SEED_CURLS[4]!, serve.port)).toMatchObject(SEED.health_response_shape);
  });
});
