/** Percentiles and number formatting for the report. */

/** Latency percentiles in milliseconds (null without samples). */
export interface Percentiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** Nearest-rank percentiles of `values`. */
export function summarize(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: null, p95: null, p99: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? 0;
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] ?? null };
}

/** 12,345 */
export function integer(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return Math.round(value).toLocaleString('en-US');
}

/** 12.3 % */
export function percent(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return `${(value * 100).toFixed(digits)} %`;
}

/** 123 MiB */
export function mebibytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes <= 0) return 'n/a';
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

/** 1.23 s or 456 ms */
export function duration(milliseconds: number | null | undefined): string {
  if (milliseconds === null || milliseconds === undefined || !Number.isFinite(milliseconds)) return 'n/a';
  return milliseconds >= 1000 ? `${(milliseconds / 1000).toFixed(2)} s` : `${Math.round(milliseconds)} ms`;
}

/** A ratio, undefined when either side is missing. */
export function ratio(value: number | null | undefined, ceiling: number | null | undefined): number | undefined {
  if (value === null || value === undefined || ceiling === null || ceiling === undefined || !(ceiling > 0) || !Number.isFinite(value)) return undefined;
  return value / ceiling;
}
