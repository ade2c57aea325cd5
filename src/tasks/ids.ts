/** Task ids for tasks created without one (the CLI's flag form): TASK_YYYYMMDD_HHMMSS_xxxx, like Tianwang's. */
export function newTaskId(nowMs: number, random: () => number = Math.random): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  const suffix = Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0')
    .toUpperCase();
  return `TASK_${stamp}_${suffix}`;
}
