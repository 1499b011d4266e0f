import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigurationError } from '../errors.js';
import { interpolateEnvironment } from './environment-interpolation.js';
import { hasFlowReference, quoteFlowReferences } from './flow-references.js';
import { formatKeyPath, pipelineConfigSchema, type PipelineConfig } from './pipeline-config.js';

/**
 * Reads a pipeline file: YAML, then `${VAR}` interpolation, then validation. Whatever is wrong
 * comes back as one ConfigurationError naming the file (and line or key path) with a fix; values
 * are never echoed, so no password of a URL ends up in a message.
 */

/** Reads, interpolates and validates the pipeline file `file`. */
export function loadPipelineConfig(file: string, env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigurationError(
      code === 'ENOENT' ? `pipeline file ${file} does not exist` : `cannot read pipeline file ${file} (${code ?? String(cause)})`,
      code === 'ENOENT' ? 'check the path given to -c/--config' : `make ${file} a readable file`,
      { cause, context: { file } },
    );
  }
  return parsePipelineConfig(text, file, env);
}

/** Parses, interpolates and validates the text of a pipeline file; `file` names it in messages. */
export function parsePipelineConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const lineCounter = new LineCounter();
  let document = parseDocument(text, { lineCounter, prettyErrors: false });
  const [syntaxError] = document.errors;
  if (syntaxError !== undefined) {
    // `databases: [${DB:-lib}]`: YAML reads the reference's "{" as a mapping; quoted, it parses.
    const quoted = quoteFlowReferences(text);
    const retried = quoted === undefined ? undefined : parseDocument(quoted, { prettyErrors: false });
    if (retried !== undefined && retried.errors.length === 0) {
      document = retried;
    } else {
      const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
      const hint = hasFlowReference(text) ? '; a ${...} reference inside [ ] or { } must be quoted: databases: ["${DB:-lib}"]' : '';
      throw new ConfigurationError(
        `${file}:${line}:${col}: YAML syntax error: ${syntaxError.message.split('\n')[0]}`,
        `fix the YAML at line ${line}, column ${col} of ${file}${hint}`,
        { context: { file, line, col, code: syntaxError.code } },
      );
    }
  }
  const data: unknown = document.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    throw new ConfigurationError(`${file}: the file is empty`, 'write a pipeline definition (see examples/sakila/pipeline.yml)', {
      context: { file },
    });
  }
  const result = pipelineConfigSchema.safeParse(interpolateEnvironment(data, env, file), { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap(describeIssue);
  throw new ConfigurationError(
    problems.map(({ path, problem }) => `${file}: ${path}: ${problem}`).join('\n'),
    problems.map(({ path, fix }) => `${path}: ${fix}`).join('\n    '),
    { context: { file, keys: problems.map(({ path }) => path) } },
  );
}

/** The edit distance between two strings (insertions, deletions, substitutions). */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The candidate closest to `word`, when it is close enough to be a likely typo. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const normalize = (text: string) => text.toLowerCase().replace(/[-_]/g, '');
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = levenshtein(normalize(word), normalize(candidate));
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(best.candidate.length / 3)) ? best.candidate : undefined;
}

interface Problem {
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
}

function describeIssue(issue: z.core.$ZodIssue): Problem[] {
  const path = formatKeyPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(schemaAt(issue.path)?.shape ?? {});
    return issue.keys.map((key) => {
      const suggestion = closestMatch(key, known);
      return {
        path: formatKeyPath([...issue.path, key]),
        problem: suggestion === undefined ? 'unknown key' : `unknown key (did you mean "${suggestion}"?)`,
        fix:
          suggestion === undefined
            ? `remove "${key}"; the keys allowed here are ${known.join(', ')}`
            : `write "${suggestion}" instead of "${key}" (did you mean "${suggestion}"?)`,
      };
    });
  }
  if (issue.code === 'invalid_key') {
    const reason = issue.issues[0]?.message ?? 'is not a valid name';
    return [{ path, problem: `the name ${reason}`, fix: `rename it: ${reason.replace(/^must be /, '')}` }];
  }
  const explicitFix = issue.code === 'custom' && typeof issue.params?.fix === 'string' ? issue.params.fix : undefined;
  const description = schemaAt(issue.path)?.description;
  const fix = explicitFix ?? (description === undefined ? 'correct this value' : `write ${description}`);
  return [{ path, problem: problemOf(issue), fix }];
}

function problemOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}, not ${kindOf(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return `must have at least ${String(issue.minimum)} character(s)`;
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${String(issue.maximum)} item(s)`;
      if (issue.origin === 'string') return `must have at most ${String(issue.maximum)} character(s)`;
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    default:
      // Custom messages of the schema (formats, URLs, patterns): written never to echo the value.
      return issue.message;
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  boolean: 'true or false',
};

function kindOf(value: unknown): string {
  if (value === null) return 'empty (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a fractional number';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

interface SchemaFacts {
  readonly description: string | undefined;
  readonly shape: Record<string, z.core.$ZodType> | undefined;
}

/** The schema reached by `path` from the pipeline schema, seen through optional/default/pipe wrappers. */
function schemaAt(path: readonly PropertyKey[]): SchemaFacts | undefined {
  let facts = factsOf(pipelineConfigSchema);
  for (const key of path) {
    const field = facts.shape !== undefined && Object.hasOwn(facts.shape, key) ? facts.shape[String(key)] : undefined;
    const target = field ?? (typeof key === 'number' ? facts.element : facts.valueType);
    if (target === undefined) return undefined;
    // A list item or record value without its own description is described by its container.
    const inherited = field === undefined ? facts.description : undefined;
    const next = factsOf(target);
    facts = { ...next, description: next.description ?? inherited };
  }
  return facts;
}

interface LooseDefinition {
  readonly type: string;
  readonly innerType?: z.core.$ZodType;
  readonly in?: z.core.$ZodType;
  readonly out?: z.core.$ZodType;
  readonly shape?: Record<string, z.core.$ZodType>;
  readonly element?: z.core.$ZodType;
  readonly valueType?: z.core.$ZodType;
}

function factsOf(schema: z.core.$ZodType): SchemaFacts & { element?: z.core.$ZodType; valueType?: z.core.$ZodType } {
  let description: string | undefined;
  let current: z.core.$ZodType | undefined = schema;
  let definition: LooseDefinition | undefined;
  while (current !== undefined) {
    description ??= z.globalRegistry.get(current)?.description;
    definition = current._zod.def;
    if (definition.type === 'pipe') current = definition.in?._zod.def.type === 'transform' ? definition.out : definition.in;
    else current = definition.innerType;
  }
  return { description, shape: definition?.shape, element: definition?.element, valueType: definition?.valueType };
}
