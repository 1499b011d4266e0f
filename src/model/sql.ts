/**
 * SQL quoting shared by every layer that writes SQL text (sources' snapshot readers, the
 * descriptors' queries): identifiers are always quoted, values always go through placeholders.
 */

/** `name` as a quoted MySQL/MariaDB identifier (a backquote inside is doubled). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}
