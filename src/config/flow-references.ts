/**
 * `${NAME}` references written unquoted as items of YAML flow collections (`[${DB:-lib}]`,
 * `{ url: ${URL} }`): YAML reads the `{` of the reference as the start of a mapping, so such a
 * file is not valid YAML. Interpolation happens after parsing (a value never changes the
 * structure of the file), so these references are quoted as whole items before a second parse.
 */

/** An unquoted flow item (after `[`, `{`, `,` or `key: `, before `,`, `]` or `}`) that contains a reference. */
const FLOW_ITEM = /(?<=[[{,]\s*|[[{,][^\n[\]{},'"#]*:\s+)([^\s,[\]{}"'#]*\$\{[^}\n]*\}[^\s,[\]{}"'#]*)(?=\s*[,\]}])/g;

/**
 * `text` with every unquoted flow item that holds a `${...}` reference single-quoted (quotes
 * inside doubled); undefined when there is none.
 */
export function quoteFlowReferences(text: string): string | undefined {
  let changed = false;
  const quoted = text.replace(FLOW_ITEM, (item: string) => {
    changed = true;
    return `'${item.replaceAll("'", "''")}'`;
  });
  return changed ? quoted : undefined;
}

/** Whether a line of `text` has a `${` inside `[...]` or `{...}` (for the hint of a syntax error). */
export function hasFlowReference(text: string): boolean {
  const marker = '\uFFFFref\uFFFF';
  return text.split('\n').some((line) => /[[{][^#]*\uFFFFref/.test(line.replace(/\$\{[^}\n]*\}?/g, marker)));
}
