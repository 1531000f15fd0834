/** Kong's zipkin request_tags.lua: `name=value;name2=value2` from the `tags_header`. */
export function parseTags(header: string): { tags: Record<string, string>; errors: string[] } {
  const tags: Record<string, string> = {};
  const errors: string[] = [];
  for (const item of header.split(/;|,(?=\s*\S+\s*=)/)) {
    if (item === '') continue;
    const m = /^\s*(\S+?)\s*=\s*(.*\S)\s*$/.exec(item);
    if (m === null) errors.push(item);
    else tags[m[1] as string] = m[2] as string;
  }
  return { tags, errors };
}
