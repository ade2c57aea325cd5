/** Every contract of the store's ports, against one implementation. */
import { callbacksContract } from './callbacks.contract.js';
import { controlContract } from './control.contract.js';
import { conversationsContract } from './conversations.contract.js';
import type { StoreFactory } from './factory.js';
import { claimScopeContract, daemonRegistryContract } from './fleet.contract.js';
import { inboundContract } from './inbound.contract.js';
import { outboxContract } from './outbox.contract.js';
import { repliesContract } from './replies.contract.js';
import { taskLeasesContract } from './task-leases.contract.js';
import { taskLifecycleContract } from './task-lifecycle.contract.js';
import { taskReadsContract } from './task-reads.contract.js';
import { taskShardContract } from './task-shard.contract.js';

export const CONTRACTS = {
  taskLifecycle: taskLifecycleContract,
  taskLeases: taskLeasesContract,
  taskReads: taskReadsContract,
  taskShard: taskShardContract,
  outbox: outboxContract,
  inbound: inboundContract,
  callbacks: callbacksContract,
  conversations: conversationsContract,
  replies: repliesContract,
  control: controlContract,
  daemons: daemonRegistryContract,
  claimScope: claimScopeContract,
};

export type ContractName = keyof typeof CONTRACTS;

/** Runs the named contracts (all of them unless told): an implementation still being built runs those it has. */
export function runStoreContract(factory: StoreFactory, names: readonly ContractName[] = Object.keys(CONTRACTS) as ContractName[]): void {
  for (const name of names) CONTRACTS[name](factory);
}
