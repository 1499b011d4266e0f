/**
 * A field path of a migration step, written as in JavaScript: dots between names (`meta.author`)
 * and brackets with a quoted name for a name that holds dots, spaces or quotes
 * (`meta["first.name"]`, `tags['a b']`). Parsed into its names, which the migration script gets
 * as parameters (never pasted into Painless code).
 */
export function parseFieldPath(path: string): string[] {
  const names: string[] = [];
  let position = 0;
  const fail = (what: string): never => {
    throw new RangeError(`field path ${JSON.stringify(path)}: ${what} at character ${position + 1} (write a.b, or a["name.with.dots"])`);
  };
  let expectName = true;
  while (position < path.length) {
    const char = path[position];
    if (char === '[') {
      const quote = path[position + 1];
      if (quote !== '"' && quote !== "'") fail('a bracket needs a quoted name');
      let name = '';
      let cursor = position + 2;
      for (;;) {
        const next = path[cursor];
        if (next === undefined) fail('an unclosed quote');
        if (next === '\\') {
          name += path[cursor + 1] ?? '';
          cursor += 2;
          continue;
        }
        if (next === quote) break;
        name += next;
        cursor += 1;
      }
      if (path[cursor + 1] !== ']') fail('a missing ]');
      names.push(name);
      position = cursor + 2;
      expectName = false;
    } else if (char === '.') {
      if (expectName) fail('an empty name');
      position += 1;
      expectName = true;
    } else {
      if (!expectName) fail('a name must follow a dot');
      let end = position;
      while (end < path.length && path[end] !== '.' && path[end] !== '[') end += 1;
      names.push(path.slice(position, end));
      position = end;
      expectName = false;
    }
  }
  if (names.length === 0 || expectName) fail('an empty name');
  return names;
}
