/**
 * Schema migrations, applied in order by `PRAGMA user_version`, each in its own transaction.
 * Never edit a migration that has shipped: add the next one.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'tasks (the seed columns + engine columns), task events, contacts, outbox',
    sql: `
      -- Every column of the seed's tasks table keeps its name and meaning, so the seed's sqlite3 queries work.
      CREATE TABLE IF NOT EXISTS tasks (
        task_id TEXT PRIMARY KEY,
        specified_customer_id TEXT,
        specified_customer_name TEXT,
        type TEXT NOT NULL,
        customer_name TEXT,
        customer_id TEXT,
        trigger_type TEXT,
        trigger_keyword TEXT,
        trigger_keywords TEXT,
        action_type TEXT,
        action_file_url TEXT,
        action_message TEXT,
        priority TEXT DEFAULT 'normal',
        timeout_hours INTEGER DEFAULT 24,
        status TEXT DEFAULT 'pending',
        retry_count INTEGER DEFAULT 0,
        max_retry INTEGER DEFAULT 3,
        created_at TEXT,
        created_by TEXT,
        triggered_at TEXT,
        completed_at TEXT,
        error_message TEXT,
        result TEXT,
        -- engine columns (aics)
        acc_id TEXT,
        exact_match INTEGER NOT NULL DEFAULT 0,
        trigger_time TEXT,
        trigger_json TEXT NOT NULL,
        action_json TEXT NOT NULL,
        payload TEXT NOT NULL,
        priority_rank INTEGER NOT NULL DEFAULT 1,
        due_at INTEGER,
        expires_at INTEGER,
        attempt INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        target_acc_id TEXT,
        target_from_id TEXT,
        target_from_name TEXT,
        updated_at TEXT
      );
      CREATE INDEX IF NOT EXISTS tasks_status_trigger ON tasks (status, trigger_type);
      CREATE INDEX IF NOT EXISTS tasks_specified_customer ON tasks (specified_customer_id, status);
      CREATE INDEX IF NOT EXISTS tasks_customer ON tasks (customer_id, created_at);
      CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at);
      CREATE INDEX IF NOT EXISTS tasks_due ON tasks (due_at) WHERE due_at IS NOT NULL AND status IN ('pending', 'waiting');
      CREATE INDEX IF NOT EXISTS tasks_expiry ON tasks (expires_at) WHERE expires_at IS NOT NULL AND status IN ('pending', 'waiting');
      CREATE INDEX IF NOT EXISTS tasks_lease ON tasks (lease_expires_at) WHERE status = 'running';

      CREATE TABLE IF NOT EXISTS task_events (
        id INTEGER PRIMARY KEY,
        task_id TEXT NOT NULL,
        at TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        reason TEXT,
        actor TEXT
      );
      CREATE INDEX IF NOT EXISTS task_events_task ON task_events (task_id, id);

      CREATE TABLE IF NOT EXISTS contacts (
        acc_id TEXT NOT NULL,
        from_id TEXT NOT NULL,
        name TEXT,
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        PRIMARY KEY (acc_id, from_id)
      );
      CREATE INDEX IF NOT EXISTS contacts_from ON contacts (from_id, last_seen_at);

      -- Messages to the outside world (callbacks to Tianwang, 派单, handoff notices), written in the same
      -- transaction as the change they report and delivered until accepted.
      CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        task_id TEXT,
        payload TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        delivered_at TEXT,
        last_error TEXT
      );
      CREATE INDEX IF NOT EXISTS outbox_undelivered ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
    `,
  },
  {
    version: 2,
    description: 'received_callbacks: what POST /api/task/callback (the callback sink) received',
    sql: `
      -- The seed's default TIANWANG_CALLBACK_URL points at the daemon itself; what arrives there is kept, so a
      -- trial without a real Tianwang can see every callback (duplicates included: delivery is at least once).
      CREATE TABLE IF NOT EXISTS received_callbacks (
        id INTEGER PRIMARY KEY,
        received_at TEXT NOT NULL,
        event_id TEXT,
        task_id TEXT,
        status TEXT,
        body TEXT NOT NULL,
        remote_address TEXT,
        signature TEXT
      );
      CREATE INDEX IF NOT EXISTS received_callbacks_task ON received_callbacks (task_id, id);
    `,
  },
  {
    version: 3,
    description: 'engine: inbound message de-duplication, action attempts, cron run numbers',
    sql: `
      -- (acc_id, msg_id) of every customer message handled, so a re-delivered event never fires a task twice,
      -- even across restarts. Pruned by age.
      -- handled_at is set once the message's tasks are claimed: a message recorded by a daemon that died before
      -- that is handled again when the bridge re-delivers it.
      CREATE TABLE IF NOT EXISTS inbound_messages (
        acc_id TEXT NOT NULL,
        msg_id TEXT NOT NULL,
        from_id TEXT,
        received_at INTEGER NOT NULL,
        handled_at INTEGER,
        PRIMARY KEY (acc_id, msg_id)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS inbound_messages_age ON inbound_messages (received_at);

      -- Every attempt of an action: when, with which bridge req_id, and how it ended.
      CREATE TABLE IF NOT EXISTS task_attempts (
        task_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        req_id TEXT NOT NULL,
        owner TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT,
        error TEXT,
        PRIMARY KEY (task_id, attempt)
      );

      ALTER TABLE tasks ADD COLUMN run_no INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX IF NOT EXISTS tasks_any_customer ON tasks (trigger_type, status) WHERE specified_customer_id IS NULL;
    `,
  },
  {
    version: 4,
    description: 'agent: chat log, conversation states (AI / handed to a human / taken over), dispatched orders',
    sql: `
      -- Every message of a conversation (acc_id:from_id): the customer's, the agent's, and those a human typed on our
      -- account (is_self). Files and images customers send are kept here too (msg_type, file_json).
      CREATE TABLE IF NOT EXISTS chat_messages (
        id INTEGER PRIMARY KEY,
        conv TEXT NOT NULL,
        acc_id TEXT NOT NULL,
        from_id TEXT NOT NULL,
        role TEXT NOT NULL,
        text TEXT NOT NULL,
        msg_id TEXT,
        msg_type TEXT NOT NULL DEFAULT 'text',
        file_json TEXT,
        at TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        provider TEXT,
        latency_ms INTEGER,
        tool_calls TEXT
      );
      CREATE INDEX IF NOT EXISTS chat_messages_conv ON chat_messages (conv, id);
      CREATE INDEX IF NOT EXISTS chat_messages_from ON chat_messages (from_id, id);
      CREATE INDEX IF NOT EXISTS chat_messages_age ON chat_messages (at_ms);

      -- Who answers a conversation: the agent ('ai'), a human after 转接人工 ('human'), or a human who typed on our
      -- account ('takeover'); until_ms ends the human states. failures counts the LLM's failures in a row.
      CREATE TABLE IF NOT EXISTS conversations (
        conv TEXT PRIMARY KEY,
        acc_id TEXT NOT NULL,
        from_id TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'ai',
        reason TEXT,
        until_ms INTEGER,
        failures INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS conversations_from ON conversations (from_id);

      -- Orders the agent dispatched (派单); order_id is the idempotency key (conversation + content).
      CREATE TABLE IF NOT EXISTS agent_orders (
        order_id TEXT PRIMARY KEY,
        conv TEXT NOT NULL,
        acc_id TEXT NOT NULL,
        from_id TEXT NOT NULL,
        fields TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS agent_orders_from ON agent_orders (from_id, created_at);
    `,
  },
  {
    version: 5,
    description: 'tasks.target_msg_id: which customer message fired a task',
    sql: `
      -- A message handled again after a crash must know the tasks it already fired (the agent stays quiet for them).
      ALTER TABLE tasks ADD COLUMN target_msg_id TEXT;
      CREATE INDEX IF NOT EXISTS tasks_fired_by ON tasks (target_msg_id, target_acc_id) WHERE target_msg_id IS NOT NULL;
    `,
  },
  {
    version: 6,
    description: 'tasks_due ordered by due time then priority, so the next due tasks are read without sorting all of them',
    sql: `
      DROP INDEX IF EXISTS tasks_due;
      CREATE INDEX tasks_due ON tasks (due_at, priority_rank DESC) WHERE due_at IS NOT NULL AND status IN ('pending', 'waiting');
    `,
  },
  {
    version: 7,
    description: "agent_replies: the agent's answers not yet sent (the 轻简 bridge away, or the daemon stopping)",
    sql: `
      -- A reply is written here before it is sent and deleted once the bridge acked it (then it is in chat_messages):
      -- an outage or a restart leaves it here, and the next daemon sends it. attempt numbers the req_id; sends counts
      -- the sends of that req_id whose outcome was in doubt.
      CREATE TABLE IF NOT EXISTS agent_replies (
        id INTEGER PRIMARY KEY,
        acc_id TEXT NOT NULL,
        from_id TEXT NOT NULL,
        text TEXT NOT NULL,
        req_base TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 1,
        sends INTEGER NOT NULL DEFAULT 0,
        handoff INTEGER NOT NULL DEFAULT 0,
        provider TEXT,
        latency_ms INTEGER,
        tool_calls TEXT,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 8,
    description: 'control_flags: switches every daemon on the file obeys (aics pause / aics resume)',
    sql: `
      -- One row per switch that is on; no row means off. Kept in the database so that a pause set by the CLI
      -- reaches every daemon on the file, and survives their restarts.
      CREATE TABLE IF NOT EXISTS control_flags (
        name TEXT PRIMARY KEY,
        reason TEXT,
        set_by TEXT,
        set_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 9,
    description: 'tasks_due_by_priority: due tasks are fired (and queued for the polite sender) by priority first, then due time',
    sql: `
      -- dueTasks reads one priority at a time, highest first, each in due-time order straight from this index (no
      -- sort, however many are due). tasks_due stays for the scheduler's next wake-up (the earliest due time).
      CREATE INDEX IF NOT EXISTS tasks_due_by_priority ON tasks (priority_rank, due_at) WHERE due_at IS NOT NULL AND status IN ('pending', 'waiting');
    `,
  },
  {
    version: 10,
    description: 'outbox claims: the daemon delivering an item, until when, so several daemons on one store never deliver it at once',
    sql: `
      -- A daemon claims an item before it POSTs it and the claim ends with the delivery's outcome. A claim lasts the
      -- delivery's deadline and a margin: when its daemon dies, another takes the item over once the lease ran out.
      ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
      ALTER TABLE outbox ADD COLUMN claim_expires_at INTEGER;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
