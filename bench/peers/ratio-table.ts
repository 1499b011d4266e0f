/**
 * The peers' ratio table (issue 18): sluice and its peers on the same workloads in one run.
 */

/** Rows/s and CPU of one capture of a backlog. */
export interface CaptureFigures {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** CPU seconds of the capturing process per 100,000 rows. */
  readonly cpuSecondsPer100k: number;
}

/** A peer's figures, or why it was not measured. */
export type Measured<T> = { readonly value: T } | { readonly skipped: string };

/** A streaming catch-up: all products updated, until every document shows the update. */
export interface CatchUpFigures {
  readonly products: number;
  readonly seconds: number;
  /** Peak RSS of the whole tool (sluice: source + sink; PGSync: its processes + Redis), bytes. */
  readonly peakRss: number;
}

/** Everything the peers phase measured. */
export interface PeersResult {
  readonly debeziumLabel: string;
  readonly pgsyncLabel: string;
  /** The backlog of the first capture and the steady-state one (5 times larger). */
  readonly capture: {
    readonly backlog: number;
    readonly sluice: Measured<CaptureFigures>;
    readonly debezium: Measured<CaptureFigures>;
  };
  readonly steady: {
    readonly backlog: number;
    readonly sluice: Measured<CaptureFigures>;
    readonly debezium: Measured<CaptureFigures>;
  };
  readonly catchUp: {
    readonly products: number;
    /** `sluice source` + `sluice sink`, two processes. */
    readonly sluice: Measured<CatchUpFigures>;
    /** `sluice run`: capture and sink in one process. */
    readonly sluiceRun: Measured<CatchUpFigures>;
    readonly pgsync: Measured<CatchUpFigures>;
  };
  /** Load averages (1 min) at the start and the end of the phase. */
  readonly load: { readonly start: number; readonly end: number };
  readonly notes: readonly string[];
}

const count = (value: number): string => Math.round(value).toLocaleString('en-US');
const mib = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MiB`;

function cell<T>(measured: Measured<T>, show: (value: T) => string): string {
  return 'value' in measured ? show(measured.value) : `skipped: ${measured.skipped}`;
}

/**
 * `a / b` as "1.25x", or "-" when either is missing. With `words` (above 1, below 1) the ratio
 * below 1 is inverted to read as "4.00x less" rather than "0.25x less".
 */
function ratio<T>(a: Measured<T>, b: Measured<T>, figure: (value: T) => number, words?: [string, string]): string {
  if (!('value' in a) || !('value' in b)) return '-';
  const value = figure(a.value) / figure(b.value);
  if (words === undefined) return `${value.toFixed(2)}x`;
  return value >= 1 ? `${value.toFixed(2)}x ${words[0]}` : `${(1 / value).toFixed(2)}x ${words[1]}`;
}

/** The markdown ratio table. */
export function peersTableMarkdown(result: PeersResult): string {
  const { capture, steady, catchUp } = result;
  const rows = [
    ['measure', 'sluice', 'peer', 'ratio'],
    ['---', '---', '---', '---'],
    [
      `capture, ${count(capture.backlog)}-row backlog`,
      cell(capture.sluice, (value) => `${count(value.rowsPerSecond)} rows/s`),
      `${result.debeziumLabel}: ${cell(capture.debezium, (value) => `${count(value.rowsPerSecond)} rows/s`)}`,
      ratio(capture.sluice, capture.debezium, (value) => value.rowsPerSecond),
    ],
    [
      `capture, ${count(steady.backlog)}-row backlog (steady state)`,
      cell(steady.sluice, (value) => `${count(value.rowsPerSecond)} rows/s`),
      `Debezium: ${cell(steady.debezium, (value) => `${count(value.rowsPerSecond)} rows/s`)}`,
      ratio(steady.sluice, steady.debezium, (value) => value.rowsPerSecond),
    ],
    [
      'capture CPU per 100k rows (steady state)',
      cell(steady.sluice, (value) => `${value.cpuSecondsPer100k.toFixed(1)} s`),
      `Debezium: ${cell(steady.debezium, (value) => `${value.cpuSecondsPer100k.toFixed(1)} s`)}`,
      ratio(steady.sluice, steady.debezium, (value) => value.cpuSecondsPer100k, ['more', 'less']),
    ],
    [
      `streaming catch-up, ${count(catchUp.products)} products updated`,
      cell(catchUp.sluice, (value) => `${value.seconds.toFixed(1)} s`),
      `${result.pgsyncLabel}: ${cell(catchUp.pgsync, (value) => `${value.seconds.toFixed(1)} s`)}`,
      // the peer's time over sluice's: above 1, sluice is faster
      ratio(catchUp.pgsync, catchUp.sluice, (value) => value.seconds, ['faster', 'slower']),
    ],
    [
      `streaming catch-up, ${count(catchUp.products)} products updated, \`sluice run\` (one process)`,
      cell(catchUp.sluiceRun, (value) => `${value.seconds.toFixed(1)} s`),
      `PGSync: ${cell(catchUp.pgsync, (value) => `${value.seconds.toFixed(1)} s`)}`,
      ratio(catchUp.pgsync, catchUp.sluiceRun, (value) => value.seconds, ['faster', 'slower']),
    ],
    [
      'peak RSS, the whole tool',
      cell(catchUp.sluice, (value) => `source + sink ${mib(value.peakRss)}`),
      `PGSync + Redis ${cell(catchUp.pgsync, (value) => mib(value.peakRss))}`,
      ratio(catchUp.sluice, catchUp.pgsync, (value) => value.peakRss, ['worse', 'better']),
    ],
    [
      'peak RSS, the whole tool, `sluice run` (one process)',
      cell(catchUp.sluiceRun, (value) => `sluice run ${mib(value.peakRss)}`),
      `PGSync + Redis ${cell(catchUp.pgsync, (value) => mib(value.peakRss))}`,
      ratio(catchUp.sluiceRun, catchUp.pgsync, (value) => value.peakRss, ['worse', 'better']),
    ],
  ];
  const table = rows.map((row) => `| ${row.join(' | ')} |`).join('\n');
  const notes = [`Load average (1 min): ${result.load.start.toFixed(1)} at the start, ${result.load.end.toFixed(1)} at the end (2 cores).`, ...result.notes];
  return `${table}\n\n${notes.map((note) => `- ${note}`).join('\n')}\n`;
}
