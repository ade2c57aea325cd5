#!/usr/bin/env node
/**
 * Intake benchmark: how fast `aics serve --api-only` takes tasks, against two baselines.
 *
 *   (a) aics: the real daemon (node bin/run.js serve --api-only, a child process, its own SQLite file and log file,
 *       readable log lines to a pipe as under systemd) — POST /api/task/receive, a unique task_id per request;
 *       afterwards the rows in its database are counted.
 *   (b) bare-http: a bare node:http server (a child process too) that reads each body and answers the same
 *       response bytes — the ceiling of HTTP on this machine with this client.
 *   (b2) bare-http-sqlite: the same server, but each request's row is committed (its own transaction, the same
 *       synchronous setting as aics) before the answer: what the issue's target is measured against.
 *   (c) bare-inserts: better-sqlite3 alone inserting the same rows into the same schema, one transaction per row
 *       as the store does (WAL, synchronous=NORMAL); also all rows in one transaction, for scale.
 *
 * With --db postgres://…, two more runs on that (empty) database:
 *   (d) aics-postgres: the same daemon with --db URL (its pool: AICS_DB_POOL, default 10).
 *   (e) bare-pg: node:http + a pg pool of the same size inserting the same row per request (one INSERT, autocommit),
 *       answering the same bytes — the ceiling of intake on this PostgreSQL server.
 *
 * autocannon, 64 connections on loopback, --duration seconds each (default 8). Needs `npm run build` first.
 * Prints ONE JSON object on stdout; progress goes to stderr.
 *
 *   node bench/intake.js [--duration 8] [--connections 64] [--sync normal|full] [--quick] [--db postgres://user@host:port/db]
 *
 * --sync: the daemon's --db-sync, and the synchronous setting of the bare SQLite baselines (full: fsync each commit).
 * --root DIR: run another checkout's daemon (DIR/bin/run.js, built; e.g. main) in the same conditions: before/after.
 * --db: also run the daemon on that (empty) PostgreSQL database, and a bare node:http + pg server inserting each row.
 *
 * --quick: 3 s per run unless --duration is given (for `npm run bench -- --quick`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { childEnv, log } from './lib/common.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string' },
    quick: { type: 'boolean', default: false },
    connections: { type: 'string', default: '64' },
    'bare-server': { type: 'boolean', default: false },
    'bare-db': { type: 'string' },
    sync: { type: 'string', default: 'normal' },
    root: { type: 'string' },
    'bare-pg-server': { type: 'string' },
    db: { type: 'string' },
  },
});

const PAYLOAD = {
  task_id: 'TASK_20260227_001',
  type: 'send_file_after_reply',
  customer: { id: 'customer_123', name: '小明' },
  trigger: { type: 'specified_customer_reply', customer_id: 'customer_123', customer_name: '小明', keyword: '好的', exact_match: false },
  action: { type: 'send_message', message: '这是您要的文件' },
  priority: 'normal',
  timeout_hours: 24,
  created_by: '设计师 lz',
};
const taskId = (run, n) => `BENCH_${run}_${String(n).padStart(9, '0')}`;

/** The bytes aics answers (same length: a task_id of the same form). */
const ANSWER = Buffer.from(JSON.stringify({ code: 200, message: '任务接收成功', data: { task_id: taskId('a', 0), status: 'pending' } }));

/** The store's columns for the benchmark's payload (the same rows the daemon writes), and an INSERT of them. */
async function taskRows() {
  const { payloadToColumns } = await import(join(root, 'dist/store/rows.js'));
  const { parseTaskPayload } = await import(join(root, 'dist/tasks/index.js'));
  const now = Date.now();
  const sample = payloadToColumns(parseTaskPayload(PAYLOAD), null, now + 86_400_000, new Date(now).toISOString());
  return { sample, names: Object.keys(sample) };
}

if (args['bare-pg-server']) {
  // (e) the PostgreSQL baseline: parse the body for its task_id, insert the row, answer the same bytes.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: args['bare-pg-server'], max: Number(process.env.AICS_DB_POOL ?? 10) });
  const { sample, names } = await taskRows();
  const insert = `INSERT INTO tasks (${names.join(', ')}, status) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')}, 'pending')`;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const row = { ...sample, task_id: JSON.parse(Buffer.concat(chunks).toString()).task_id };
      pool
        .query(
          insert,
          names.map((n) => row[n]),
        )
        .then(
          () => {
            res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': ANSWER.length });
            res.end(ANSWER);
          },
          (error) => {
            res.writeHead(500);
            res.end(String(error));
          },
        );
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
  process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
} else if (args['bare-server']) {
  // (b) the baseline server: read the body, answer the bytes aics answers.
  const answer = ANSWER;
  const insert = args['bare-db'] ? await bareInsert(args['bare-db']) : null;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (insert) insert(JSON.parse(Buffer.concat(chunks).toString('utf8')).task_id);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': answer.length });
      res.end(answer);
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else {
  await main();
}

/** One row per call, committed in its own transaction (the store's schema and pragmas, --sync). */
async function bareInsert(file) {
  const { openDatabase } = await import(join(root, 'dist/store/connection.js'));
  const raw = openDatabase(file, { sync: args.sync });
  const { sample, names } = await taskRows();
  const stmt = raw.prepare(`INSERT INTO tasks (${names.join(', ')}, status) VALUES (${names.map((c) => `@${c}`).join(', ')}, 'pending')`);
  const one = raw.transaction((row) => stmt.run(row));
  return (id) => one.immediate({ ...sample, task_id: id });
}

/**
 * CPU seconds a child has used so far (user + system, from /proc): on a shared machine the CPU per request is
 * steadier than the requests per second. null where /proc is missing.
 */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 a second on Linux)
  } catch {
    return null;
  }
}

/** Loads a child's URL and reports its CPU per answered request, in ms. */
async function measured(child, runTag, duration, connections) {
  const url = await child.url;
  const before = cpuSeconds(child.child.pid);
  const result = await load(url, runTag, duration, connections);
  const after = cpuSeconds(child.child.pid);
  const answered = result['2xx'] || 1;
  const cpuMsPerRequest = before === null || after === null ? null : Number((((after - before) * 1000) / answered).toFixed(3));
  return { result, cpuMsPerRequest };
}

/** Starts a child that prints "listening on http://…"; keeps draining its output. */
function startChild(argv, cwd) {
  // AICS_BENCH_NODE_ARGS: extra node flags for the servers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them.
  const nodeArgs = (process.env.AICS_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...argv], { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s) => (err += s));
  const exit = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const url = new Promise((resolve, reject) => {
    const onData = (s) => {
      out += s;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        child.stdout.resume(); // keep draining, so the child never blocks on a full pipe
        out = '';
        resolve(m[1]);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    exit.then((code) => reject(new Error(`${argv.join(' ')} exited ${code} before listening: ${err}`)));
  });
  return { child, url, exit };
}

function load(url, runTag, duration, connections) {
  let n = 0;
  return autocannon({
    url,
    connections,
    duration,
    requests: [
      {
        method: 'POST',
        path: '/api/task/receive',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ ...PAYLOAD, task_id: taskId(runTag, ++n) }) }),
      },
    ],
  });
}

function summary(result) {
  return {
    requests_per_s: Math.round(result.requests.average),
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    requests_2xx: result['2xx'],
    non_2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

async function main() {
  const duration = Number(args.duration ?? (args.quick ? 3 : 8));
  const connections = Number(args.connections);
  if (!(duration > 0) || !(connections > 0)) throw new Error('--duration and --connections must be positive numbers');
  if (!['normal', 'full'].includes(args.sync)) throw new Error('--sync must be normal or full');
  const work = mkdtempSync(join(tmpdir(), 'aics-bench-'));
  try {
    // (a) the real daemon
    log(`aics serve --api-only: ${duration} s, ${connections} connections …`);
    const dbFile = join(work, 'aics/tasks.db');
    const daemon = startChild(
      [
        join(args.root ?? root, 'bin/run.js'),
        'serve',
        '--api-only',
        '--port',
        '0',
        '--db',
        dbFile,
        // An older checkout without the setting runs with its default (normal).
        ...(args.sync === 'normal' && args.root ? [] : ['--db-sync', args.sync]),
        '--log-file',
        join(work, 'aics/aics.log'),
      ],
      work,
    );
    const { result: aicsResult, cpuMsPerRequest: aicsCpu } = await measured(daemon, 'a', duration, connections);
    daemon.child.kill('SIGTERM');
    const daemonExit = await daemon.exit;
    const db = new Database(dbFile, { readonly: true });
    const committed = db.prepare("SELECT COUNT(*) AS n FROM tasks WHERE task_id LIKE 'BENCH_a_%'").get().n;
    db.close();

    // (b) bare node:http
    log(`bare node:http: ${duration} s …`);
    const bare = startChild([fileURLToPath(import.meta.url), '--bare-server'], work);
    const { result: bareResult, cpuMsPerRequest: bareCpu } = await measured(bare, 'b', duration, connections);
    bare.child.kill('SIGTERM');
    await bare.exit;

    // (b2) the same server committing each request's row before answering
    log(`bare node:http + better-sqlite3 (synchronous ${args.sync}): ${duration} s …`);
    const bareDb = startChild(
      [fileURLToPath(import.meta.url), '--bare-server', '--bare-db', join(work, 'bare/http.db'), '--sync', args.sync],
      work,
    );
    const { result: bareDbResult, cpuMsPerRequest: bareDbCpu } = await measured(bareDb, 'd', duration, connections);
    bareDb.child.kill('SIGTERM');
    await bareDb.exit;

    // (c) bare better-sqlite3 inserts of the same rows, same schema and pragmas (the store's openDatabase)
    log('bare better-sqlite3 inserts …');
    const { openDatabase } = await import(join(root, 'dist/store/connection.js'));
    const { sample, names } = await taskRows();
    const rowsWanted = Math.max(committed, 20_000);
    const insertRate = (file, oneTransaction) => {
      const raw = openDatabase(file, { sync: args.sync });
      const insert = raw.prepare(
        `INSERT INTO tasks (${names.join(', ')}, status) VALUES (${names.map((c) => `@${c}`).join(', ')}, 'pending')`,
      );
      const rows = Array.from({ length: rowsWanted }, (_, i) => ({ ...sample, task_id: taskId('c', i) }));
      const t0 = process.hrtime.bigint();
      if (oneTransaction) raw.transaction(() => rows.forEach((r) => insert.run(r))).immediate();
      else for (const r of rows) raw.transaction(() => insert.run(r)).immediate();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const n = raw.prepare('SELECT COUNT(*) AS n FROM tasks').get().n;
      raw.close();
      return { rows: n, rows_per_s: Math.round(n / seconds) };
    };
    const perRow = insertRate(join(work, 'bare/per-row.db'), false);
    const batched = insertRate(join(work, 'bare/batched.db'), true);

    const a = { ...summary(aicsResult), cpu_ms_per_request: aicsCpu };
    const b = { ...summary(bareResult), cpu_ms_per_request: bareCpu };
    const bd = { ...summary(bareDbResult), cpu_ms_per_request: bareDbCpu };
    const cpuRatio = (x, y) => (x && y ? Number((y / x).toFixed(3)) : null);
    const postgres = args.db ? await postgresRuns(work, duration, connections, a) : undefined;
    const out = {
      bench: 'intake',
      node: process.version,
      cpus: availableParallelism(),
      cpu_model: cpus()[0]?.model ?? null,
      quick: args.quick,
      duration_s: duration,
      connections,
      sync: args.sync,
      daemon_root: args.root ?? root,
      aics: { ...a, tasks_committed: committed, exit_code_after_sigterm: daemonExit },
      bare_http: b,
      bare_http_sqlite: bd,
      bare_inserts: {
        rows: perRow.rows,
        rows_per_s: perRow.rows_per_s,
        one_transaction_per_row: true,
        batched_rows_per_s: batched.rows_per_s,
      },
      ratios: {
        aics_vs_bare_http: Number((a.requests_per_s / b.requests_per_s).toFixed(3)),
        aics_vs_bare_http_sqlite: Number((a.requests_per_s / bd.requests_per_s).toFixed(3)),
        // The same comparison by CPU: the bare server's CPU per request over aics's (1 = as cheap).
        cpu_aics_vs_bare_http_sqlite: cpuRatio(a.cpu_ms_per_request, bd.cpu_ms_per_request),
        aics_vs_bare_inserts: Number((a.requests_per_s / perRow.rows_per_s).toFixed(3)),
        ...postgres?.ratios,
      },
      ...(postgres ? { postgres: postgres.runs } : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** (d) and (e): the daemon on PostgreSQL, then the bare pg insert server, on the database --db names. */
async function postgresRuns(work, duration, connections, sqliteDaemon) {
  const { default: pg } = await import('pg');
  const url = args.db;
  log(`aics serve --api-only --db postgres: ${duration} s, ${connections} connections …`);
  const daemon = startChild(
    [join(root, 'bin/run.js'), 'serve', '--api-only', '--port', '0', '--db', url, '--log-file', join(work, 'pg/aics.log')],
    work,
  );
  const daemonResult = summary(await load(await daemon.url, 'd', duration, connections));
  daemon.child.kill('SIGTERM');
  const daemonExit = await daemon.exit;
  log(`bare node:http + pg inserts: ${duration} s …`);
  const bare = startChild([fileURLToPath(import.meta.url), '--bare-pg-server', url], work);
  const bareResult = summary(await load(await bare.url, 'e', duration, connections));
  bare.child.kill('SIGTERM');
  await bare.exit;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const count = async (tag) =>
    Number((await client.query(`SELECT COUNT(*) AS n FROM tasks WHERE task_id LIKE 'BENCH_${tag}_%'`)).rows[0].n);
  const [committed, bareRows] = [await count('d'), await count('e')];
  const settings = (
    await client.query(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'server_version')`)
  ).rows;
  await client.end();
  return {
    runs: {
      server: Object.fromEntries(settings.map((r) => [r.name, r.setting])),
      aics: { ...daemonResult, tasks_committed: committed, exit_code_after_sigterm: daemonExit },
      bare_pg: { ...bareResult, rows_committed: bareRows },
    },
    ratios: {
      aics_postgres_vs_bare_pg: Number((daemonResult.requests_per_s / bareResult.requests_per_s).toFixed(3)),
      aics_postgres_vs_aics_sqlite: Number((daemonResult.requests_per_s / sqliteDaemon.requests_per_s).toFixed(3)),
    },
  };
}
