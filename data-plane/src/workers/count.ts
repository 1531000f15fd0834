/** How many proxy workers `worker_processes` asks for: `auto` is one per CPU, as nginx's. */
export function workerCount(setting: 'auto' | number, cpus: number): number {
  if (setting === 'auto') return Math.max(1, Math.floor(cpus));
  return setting;
}
