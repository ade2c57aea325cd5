/**
 * The interactive side of `aics sim qingjian`: the operator types as a customer. Pure line handling over a
 * QingjianSimulator, so it is testable without a terminal; the command wires it to readline.
 */
import type { QingjianSimulator, ReceivedCommand } from './qingjian-sim.js';

export interface Speaker {
  from_id: string;
  from_name?: string;
}

export const CONSOLE_HELP = `Type a line to send it as the current customer's message. Commands:
  /as ID [NAME]   speak as customer ID (NAME optional), e.g. /as customer_123 小明
  /self TEXT      a message typed on our own account (is_self): a human took over the conversation
  /who            who is speaking
  /stats          counters so far
  /help           this help
  /quit           stop the simulator (so does end of input)
Every command the daemon sends is printed as it arrives: → send_text to customer_123: …`;

export interface LineOutcome {
  speaker: Speaker;
  output: string[];
  quit: boolean;
}

function who(s: Speaker): string {
  return s.from_name ? `${s.from_name} (${s.from_id})` : s.from_id;
}

/** Handles one typed line. */
export function handleConsoleLine(sim: QingjianSimulator, speaker: Speaker, raw: string): LineOutcome {
  const line = raw.trim();
  const out = (output: string[], next: Speaker = speaker, quit = false): LineOutcome => ({ speaker: next, output, quit });
  if (line === '') return out([]);
  const queued = () => (sim.counters().clients === 0 ? ['  (no daemon connected: delivered when one connects)'] : []);
  if (!line.startsWith('/')) {
    sim.pushMessage({ ...speaker, content: line });
    return out(queued());
  }
  const [command = '', ...rest] = line.split(/\s+/);
  const args = line.slice(command.length).trim();
  switch (command) {
    case '/as': {
      const [id, ...name] = rest;
      if (!id) return out(['usage: /as ID [NAME]']);
      const next: Speaker = name.length > 0 ? { from_id: id, from_name: name.join(' ') } : { from_id: id };
      return out([`now speaking as ${who(next)}`], next);
    }
    case '/self':
      if (!args) return out(['usage: /self TEXT']);
      sim.pushMessage({ ...speaker, content: args, is_self: true });
      return out(queued());
    case '/who':
      return out([`speaking as ${who(speaker)} to account ${sim.accId}`]);
    case '/stats':
      return out([JSON.stringify(sim.counters())]);
    case '/help':
    case '/?':
      return out(CONSOLE_HELP.split('\n'));
    case '/quit':
    case '/exit':
      return out([], speaker, true);
    default:
      return out([`unknown command ${command}: /help lists them`]);
  }
}

/** One line per command received: `→ send_text to customer_123: 这是您要的文件  [TASK_1#1]`. */
export function describeCommand(c: ReceivedCommand): string {
  const d = c.data;
  let what: string;
  if (c.cmd === 'send_text') what = `send_text to ${String(d.to_id)}: ${String(d.content)}`;
  else if (c.cmd === 'send_file') {
    const target = String(d.file_url ?? d.file_path ?? '?');
    what = `send_file (${String(d.kind)}) to ${String(d.to_id)}: ${target}${d.file_name ? ` (${String(d.file_name)})` : ''}`;
  } else what = `${c.cmd || '(no cmd)'} ${JSON.stringify(d)}`;
  const notes: string[] = [];
  if (c.duplicate) notes.push('repeat: answered from the first result, not sent again');
  else if (!c.result.ok) notes.push(`${c.injected ? 'injected failure' : 'refused'} ${c.result.code} ${c.result.msg}`);
  if (c.ack === 'dropped') notes.push('ack dropped');
  if (c.ack === 'connection_dropped') notes.push('connection dropped before the ack');
  return `→ ${what}  [${c.req_id}]${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

export function describeSummary(s: ReturnType<QingjianSimulator['summary']>): string[] {
  return [
    `messages pushed   ${s.messages_pushed} (acked ${s.messages_acked}, redelivered ${s.redeliveries})`,
    `sends received    ${s.sends_received} (delivered ${s.sends_delivered}, duplicates ${s.duplicates}, failures injected ${s.failures_injected}, refused ${s.invalid_commands}, acks dropped ${s.acks_dropped})`,
    `connections       ${s.connections} (dropped on purpose ${s.drops})`,
  ];
}
