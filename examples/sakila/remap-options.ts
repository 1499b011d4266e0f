import { parseArgs } from 'node:util';

/** What `npm run demo:mapping-change` is asked to do (see {@link remapOptions}). */
export interface RemapOptions {
  /**
   * The demo's own names: the database `name` (a copy of Sakila), the pipeline `name` with `-` for
   * `_` (its topics, consumer groups and the read alias `<pipeline>-films`).
   */
  readonly name: string;
  /** Films in the demo's database (Sakila's 1,000 plus copies with their actors and categories). */
  readonly films: number;
  /** Film updates per second made by the writer while the demo runs. */
  readonly rate: number;
  /** Seconds of streaming changes before the mapping edit, and again after the read alias moved. */
  readonly durationSeconds: number;
  /** Where to write the outcome as JSON (tests read it), if anywhere. */
  readonly report: string | undefined;
}

/** The defaults: a fill of 5,000 films that lasts a few seconds on a 2-core machine, 20 updates/s. */
export const REMAP_DEFAULTS: Omit<RemapOptions, 'report'> = { name: 'sakila_remap', films: 5000, rate: 20, durationSeconds: 5 };

const USAGE = 'npm run demo:mapping-change -- [--films N] [--rate N] [--duration SECONDS] [--name NAME] [--report FILE]';

/** A whole number from the command line within [min, max], or an error naming the option. */
function wholeNumber(option: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${option} ${text}: use a whole number from ${min} to ${max} (${USAGE})`);
  return value;
}

/**
 * Parses the demo's command line: `--films` (1,000 to 100,000, default 5,000), `--rate` (updates/s,
 * 1 to 500, default 20), `--duration` (seconds, 1 to 600, default 5), `--name` (letters, digits and
 * `_`, default `sakila_remap`) and `--report` (a file for the JSON outcome). Unknown options throw.
 */
export function remapOptions(argv: readonly string[]): RemapOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      films: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      name: { type: 'string' },
      report: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const name = values.name ?? REMAP_DEFAULTS.name;
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(name)) throw new Error(`--name ${name}: use lower-case letters, digits and _ (at most 48, a letter first) (${USAGE})`);
  return {
    name,
    films: wholeNumber('films', values.films, REMAP_DEFAULTS.films, 1000, 100_000),
    rate: wholeNumber('rate', values.rate, REMAP_DEFAULTS.rate, 1, 500),
    durationSeconds: wholeNumber('duration', values.duration, REMAP_DEFAULTS.durationSeconds, 1, 600),
    report: values.report,
  };
}
