/** Kong's `name:value` entries, split as its `^([^:]+):*(.-)$` does: the value after every colon that follows the name. */
export interface Pair {
  readonly name: string;
  /** '' when the entry has none. */
  readonly value: string;
}

export function pairOf(entry: string): Pair {
  const colon = entry.indexOf(':');
  if (colon === -1) return { name: entry, value: '' };
  return { name: entry.slice(0, colon), value: entry.slice(colon).replace(/^:+/, '') };
}
