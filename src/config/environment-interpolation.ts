import { readFileSync } from 'node:fs';
import { ConfigurationError } from '../errors.js';
import { formatKeyPath } from './pipeline-config.js';

/**
 * `${NAME}` and `${NAME:-default}` in the string values of a parsed configuration file, replaced
 * from the environment before validation (keys are never interpolated). As in the shell, the
 * default applies when NAME is unset or empty; `$${` writes a literal `${`. `${file:/path}` is
 * replaced by the file's content without its final line break (a mounted secret, as Docker and
 * Kubernetes provide them).
 */

const REFERENCE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One reference that cannot be resolved, with where it is. */
interface InterpolationProblem {
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
}

/**
 * A copy of `value` (the plain data of a parsed YAML file) with every `${...}` of its strings
 * replaced from `env`. Throws one ConfigurationError listing every unset variable without a
 * default and every malformed reference, each with its key path and `file`.
 */
export function interpolateEnvironment(value: unknown, env: NodeJS.ProcessEnv, file: string): unknown {
  const problems: InterpolationProblem[] = [];
  const result = interpolateValue(value, [], env, problems);
  if (problems.length > 0) {
    throw new ConfigurationError(
      problems.map(({ path, problem }) => `${file}: ${path}: ${problem}`).join('\n'),
      [...new Set(problems.map(({ fix }) => fix))].join('; '),
      { context: { file, keys: problems.map(({ path }) => path) } },
    );
  }
  return result;
}

/** `text` with its `${...}` references replaced; problems are pushed with `path`. */
function interpolateString(text: string, path: readonly PropertyKey[], env: NodeJS.ProcessEnv, problems: InterpolationProblem[]): string {
  return text.replace(REFERENCE, (match: string, body: string | undefined) => {
    if (match === '$${') return '${';
    const where = formatKeyPath(path);
    if (body === undefined) {
      problems.push({ path: where, problem: '"${" has no closing "}"', fix: 'close the reference: ${NAME}, or write $${ for a literal ${' });
      return match;
    }
    if (body.startsWith('file:')) return fileContent(body.slice('file:'.length), where, problems) ?? match;
    const separator = body.indexOf(':-');
    const name = separator < 0 ? body : body.slice(0, separator);
    if (!VARIABLE_NAME.test(name)) {
      problems.push({
        path: where,
        problem: `"\${${body}}" is not a variable reference`,
        fix: 'write ${NAME} or ${NAME:-default} with NAME of letters, digits and "_", or $${ for a literal ${',
      });
      return match;
    }
    const current = env[name];
    if (separator >= 0) return current === undefined || current === '' ? body.slice(separator + 2) : current;
    if (current === undefined) {
      problems.push({
        path: where,
        problem: `environment variable ${name} is not set`,
        fix: `set ${name} or give a default: \${${name}:-value}`,
      });
      return match;
    }
    return current;
  });
}

/** The content of a `${file:...}` secret, or undefined (with a problem pushed) when it cannot be read. */
function fileContent(path: string, where: string, problems: InterpolationProblem[]): string | undefined {
  if (path === '') {
    problems.push({ path: where, problem: '"${file:}" names no file', fix: 'write ${file:/path/to/secret}' });
    return undefined;
  }
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    problems.push({ path: where, problem: `the secret file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, fix: `make ${path} readable by this process, or use \${VARIABLE}` });
    return undefined;
  }
}

function interpolateValue(value: unknown, path: readonly PropertyKey[], env: NodeJS.ProcessEnv, problems: InterpolationProblem[]): unknown {
  if (typeof value === 'string') return interpolateString(value, path, env, problems);
  if (Array.isArray(value)) return value.map((item: unknown, index) => interpolateValue(item, [...path, index], env, problems));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateValue(item, [...path, key], env, problems)]),
    );
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
