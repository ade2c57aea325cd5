import * as Flags from '@oclif/core/flags';
import { readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { BaseCommand, EXIT_CODES_HELP } from '../../cli/base-command.js';
import { DaemonUnreachableError, ValidationError } from '../../errors.js';
import { describeCommand, describeSummary, handleConsoleLine, type Speaker } from '../../sim/qingjian-console.js';
import { abortableSleep, parseScript, replayScript, type ScriptLine } from '../../sim/qingjian-script.js';
import { DEFAULT_SIM_ACC_ID, DEFAULT_SIM_PORT, QingjianSimulator, type SimSummary } from '../../sim/qingjian-sim.js';

const fraction = Flags.custom<number>({
  parse: async (input) => {
    const n = Number(input);
    if (input.trim() === '' || !(n >= 0 && n <= 1)) throw new Error(`expected a fraction between 0 and 1, got "${input}"`);
    return n;
  },
});

export default class SimQingjian extends BaseCommand<typeof SimQingjian> {
  static override summary = 'Simulate the 轻简 bridge: push customer messages to the daemon, record and ack what it sends.';
  static override description = `Listens where 轻简 would (ws://127.0.0.1:9528) and speaks its protocol to whatever connects (aics serve): customer message events with unique event_id and msg_id, delivered again until acked; every send command recorded, printed and acked with a generated msg_id. A repeated req_id is answered with its first result and counted as a duplicate, never as a second delivery. The bound address goes to stderr as "qingjian simulator listening on ws://HOST:PORT" (useful with --port 0).

Interactive (the default): type lines as the customer. /as ID [NAME] changes who speaks, /self TEXT sends a message typed on our own account (a human took over), /help lists the rest, /quit or end of input stops.

Scripted (--script FILE): a JSON-lines file, one message a line, such as {"from_id":"customer_123","from_name":"小明","content":"好的谢谢","delay_ms":100} (optional: acc_id, is_self, at_ms). It is replayed once a daemon connects; the simulator then waits --linger ms for sends, prints a summary and exits 0. With --json the summary is all that goes to stdout.

Headless (--headless): reads no input and runs until SIGINT or SIGTERM, then prints the summary.

Faults for tests: --fail-every and --fail-rate answer sends with ok:false and --fail-code (4000–4004 are final for the daemon, any other code, 500 included, is retried); --ack-delay; --drop-acks; --drop-every N drops the connection after every Nth send and before its ack (an in-doubt send the daemon must repeat with the same req_id); --no-pong stops answering the heartbeat.

${EXIT_CODES_HELP}`;
  static override examples = [
    { description: 'Chat as customer 小明 with a daemon on this machine', command: '<%= config.bin %> sim qingjian' },
    {
      description: 'Replay a dialogue on a free port, wait 5 s for the replies, print the summary as JSON',
      command: '<%= config.bin %> sim qingjian --port 0 --script dialogue.jsonl --linger 5000 --json',
    },
    {
      description: 'A flaky bridge: every 3rd send fails (retryable), acks take 2 s',
      command: '<%= config.bin %> sim qingjian --headless --fail-every 3 --ack-delay 2000',
    },
    {
      description: 'Drop the connection after every 5th send, to see in-doubt sends repeated once',
      command: '<%= config.bin %> sim qingjian --headless --drop-every 5',
    },
  ];
  static override baseFlags = {
    // The simulator has no database; the shared flag stays parseable but out of its help.
    db: { ...BaseCommand.baseFlags.db, hidden: true },
  };
  static override flags = {
    port: Flags.integer({
      char: 'p',
      helpValue: 'PORT',
      summary: 'Port to listen on; 0 picks a free one.',
      default: DEFAULT_SIM_PORT,
      min: 0,
      max: 65535,
    }),
    host: Flags.string({ helpValue: 'HOST', summary: 'Address to listen on.', default: '127.0.0.1' }),
    'acc-id': Flags.string({ helpValue: 'ID', summary: 'Our WeCom account that the customers talk to.', default: DEFAULT_SIM_ACC_ID }),
    customer: Flags.string({ helpValue: 'ID', summary: 'Interactive: the customer id you speak as at first.', default: 'customer_123' }),
    'customer-name': Flags.string({ helpValue: 'NAME', summary: 'Interactive: that customer’s name.', default: '小明' }),
    script: Flags.string({ char: 's', summary: 'Replay this JSON-lines file of customer messages, then exit.', helpValue: 'FILE' }),
    linger: Flags.integer({ helpValue: 'MS', summary: 'Scripted: ms to wait for sends after the last message.', default: 2000, min: 0 }),
    'connect-timeout': Flags.integer({
      helpValue: 'MS',
      summary: 'Scripted: give up (exit 3) when no daemon connects within this many ms; 0 waits forever.',
      default: 0,
      min: 0,
    }),
    headless: Flags.boolean({ summary: 'Read no input; run until SIGINT/SIGTERM.', exclusive: ['script'] }),
    'redeliver-ms': Flags.integer({
      helpValue: 'MS',
      summary: 'Deliver an un-acked event again after this many ms; 0 never.',
      default: 5000,
      min: 0,
    }),
    'ack-delay': Flags.integer({ summary: 'Delay every ack of a send by this many ms.', default: 0, min: 0, helpValue: 'MS' }),
    'drop-acks': Flags.boolean({ summary: 'Never ack sends (they are still recorded): the daemon sees ack timeouts.' }),
    'fail-rate': fraction({ helpValue: 'FRACTION', summary: 'Answer this fraction (0-1) of sends with ok:false.', default: 0 }),
    'fail-every': Flags.integer({ summary: 'Answer every Nth send with ok:false; 0 never.', default: 0, min: 0, helpValue: 'N' }),
    'fail-code': Flags.integer({
      helpValue: 'CODE',
      summary: 'Code of injected failures: 4000–4004 are final, any other is retried.',
      default: 5000,
    }),
    'drop-every': Flags.integer({
      summary: 'Drop the connection after every Nth send, before its ack; 0 never.',
      default: 0,
      min: 0,
      helpValue: 'N',
    }),
    'no-pong': Flags.boolean({ summary: 'Do not answer pings (the daemon should reconnect after two).' }),
  };

  async run(): Promise<SimSummary> {
    const f = this.flags;
    const lines = f.script === undefined ? null : this.readScript(f.script);
    const sim = await QingjianSimulator.start({
      host: f.host,
      port: f.port,
      accId: f['acc-id'],
      redeliverMs: f['redeliver-ms'],
      ackDelayMs: f['ack-delay'],
      dropAcks: f['drop-acks'],
      failRate: f['fail-rate'],
      failEvery: f['fail-every'],
      failCode: f['fail-code'],
      dropEvery: f['drop-every'],
      answerPings: !f['no-pong'],
    });
    process.stderr.write(`qingjian simulator listening on ${sim.url}\n`);
    // Under --json stdout carries only the summary; what a human would watch goes to stderr.
    const show = (text: string): void => void (this.jsonEnabled() ? process.stderr : process.stdout).write(`${text}\n`);
    sim.onClient((n) => process.stderr.write(`daemon ${n.kind} (${n.remote}; ${n.clients} connected)\n`));
    let print: (text: string) => void = show;
    sim.onCommand((c) => print(describeCommand(c)));

    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      if (lines) await this.scripted(sim, lines, abort.signal);
      else if (f.headless) await new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
      else await this.interactive(sim, abort.signal, show, (p) => (print = p));
      // Acks already on their way belong in the summary: a busy daemon acks a message a moment after it arrives.
      if (!abort.signal.aborted && sim.summary().clients > 0) await sim.waitForAllAcked(2_000).catch(() => undefined);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await sim.stop();
    }
    const summary = sim.summary();
    for (const line of describeSummary(summary)) this.say(line);
    return summary;
  }

  private readScript(file: string): ScriptLine[] {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ValidationError(`--script: cannot read ${file}: ${(err as Error).message}`, 'script');
    }
    return parseScript(text, file);
  }

  private async scripted(sim: QingjianSimulator, lines: ScriptLine[], signal: AbortSignal): Promise<void> {
    const timeout = this.flags['connect-timeout'];
    process.stderr.write(`waiting for the daemon to connect${timeout > 0 ? ` (up to ${timeout} ms)` : ''}…\n`);
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    try {
      await Promise.race([sim.waitForClient(timeout), aborted]);
    } catch {
      throw new DaemonUnreachableError(`no daemon connected to ${sim.url} within ${timeout} ms`);
    }
    if (signal.aborted) return;
    await replayScript(sim, lines, { signal });
    process.stderr.write(`${lines.length} message${lines.length === 1 ? '' : 's'} pushed; waiting ${this.flags.linger} ms for sends\n`);
    await abortableSleep(this.flags.linger, signal);
  }

  private async interactive(
    sim: QingjianSimulator,
    signal: AbortSignal,
    show: (t: string) => void,
    setPrint: (p: (t: string) => void) => void,
  ): Promise<void> {
    const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !this.jsonEnabled();
    let speaker: Speaker = { from_id: this.flags.customer, from_name: this.flags['customer-name'] };
    const promptText = () => `${speaker.from_name ?? speaker.from_id}> `;
    const rl: Interface = createInterface({
      input: process.stdin,
      ...(tty ? { output: process.stdout, prompt: promptText() } : {}),
      terminal: tty,
    });
    if (tty) {
      // Keep what the daemon sends from landing in the middle of the operator's typing.
      setPrint((text) => {
        process.stdout.write(`\r\x1b[K${text}\n`);
        rl.prompt(true);
      });
    }
    process.stderr.write(`speaking as ${speaker.from_name} (${speaker.from_id}) to account ${sim.accId}; /help for commands\n`);
    await new Promise<void>((resolve) => {
      rl.on('line', (line) => {
        const r = handleConsoleLine(sim, speaker, line);
        speaker = r.speaker;
        for (const o of r.output) show(o);
        if (r.quit) {
          rl.close();
          return;
        }
        if (tty) {
          rl.setPrompt(promptText());
          rl.prompt();
        }
      });
      rl.once('close', resolve);
      rl.on('SIGINT', () => rl.close()); // Ctrl-C on a terminal: readline would only pause
      signal.addEventListener('abort', () => rl.close(), { once: true });
      if (tty) rl.prompt();
    });
    setPrint(show);
    // readline leaves a piped stdin open, which would keep the process alive after /quit.
    process.stdin.pause();
    process.stdin.unref?.();
  }
}
