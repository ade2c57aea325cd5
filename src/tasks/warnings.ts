/**
 * Warnings about a task that is valid but probably not what its sender meant (issue #17 point 12). The seed defines
 * `customer_reply` (and `customer_keyword`, and `customer_payment` without a customer_id) as "any customer", so a
 * task that also names a customer still fires on anyone's message — and sends the named customer's text or file
 * to whoever wrote. That is kept (it is the contract), but said at receive and in `task status`; with
 * AICS_SCOPE_ANY_CUSTOMER=1 such a task fires only on the named customer's messages. Pure.
 */
import { describeTrigger, type Trigger } from './triggers/index.js';

/** The named customer an any-customer trigger should be scoped to, or null when the trigger is already specific. */
export function unscopedCustomer(task: { trigger: Trigger; customer_id?: string | null }): string | null {
  const t = task.trigger;
  const d = describeTrigger(t);
  const anyCustomer = d.firedBy.includes('any-customer') && d.customerOf(t) === null;
  return anyCustomer && task.customer_id ? task.customer_id : null;
}

export function taskWarnings(task: { trigger: Trigger; customer_id?: string | null }, scoped: boolean): string[] {
  const customer = unscopedCustomer(task);
  if (!customer) return [];
  if (scoped) return [];
  return [
    `trigger ${task.trigger.type} fires on any customer's message, although the task names customer ${customer}: ` +
      `another customer's message fires it and receives this action (AICS_SCOPE_ANY_CUSTOMER=1 limits it to ${customer})`,
  ];
}
