/** Every contract of the store's ports, against one implementation. */
import { callbacksContract } from './callbacks.contract.js';
import { controlContract } from './control.contract.js';
import { conversationsContract } from './conversations.contract.js';
import type { StoreFactory } from './factory.js';
import { inboundContract } from './inbound.contract.js';
import { outboxContract } from './outbox.contract.js';
import { repliesContract } from './replies.contract.js';
import { taskLeasesContract } from './task-leases.contract.js';
import { taskLifecycleContract } from './task-lifecycle.contract.js';
import { taskReadsContract } from './task-reads.contract.js';
import { taskShardContract } from './task-shard.contract.js';

export function runStoreContract(factory: StoreFactory): void {
  taskLifecycleContract(factory);
  taskLeasesContract(factory);
  taskReadsContract(factory);
  taskShardContract(factory);
  outboxContract(factory);
  inboundContract(factory);
  callbacksContract(factory);
  conversationsContract(factory);
  repliesContract(factory);
  controlContract(factory);
}
