/**
 * A JSON mapping given on a bench command line (`--sink '{"pageSize":250}'`, a catch-up-memory
 * variant): parsed, or the process stops with exit code 2 and a message that shows an example.
 * `what` names the argument in the message (`bench: --sink`), `example` is a valid value.
 */
export function jsonMappingOption(what: string, text: string, example: string): Record<string, unknown> {
  let value: unknown;
  let problem: string | undefined;
  try {
    value = JSON.parse(text);
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  if (problem === undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) problem = `got ${JSON.stringify(value)}`;
  if (problem !== undefined) {
    console.error(`${what} ${text}: not a JSON mapping (${problem}); write e.g. '${example}'`);
    process.exit(2);
  }
  return value as Record<string, unknown>;
}
