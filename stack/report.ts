import type { ServiceReport } from './stack.js';

/** Renders reports as aligned lines, then the environment that points sluice at the services. */
export function formatReports(reports: readonly ServiceReport[], endpoints: Record<string, string>): string {
  const width = Math.max(...reports.map((report) => report.state.length));
  const lines = reports.flatMap((report) => [
    `${report.service.padEnd(14)}${report.state.padEnd(width + 2)}${report.endpoint}${report.pid === undefined ? '' : `  (pid ${report.pid})`}`,
    ...(report.details === undefined || report.details === '' ? [] : [`${''.padEnd(16)}${report.details}`]),
    ...(report.logFile === undefined ? [] : [`${''.padEnd(16)}log: ${report.logFile}`]),
    ...(report.warnings ?? []).map((warning) => `${''.padEnd(16)}warning: ${warning}`),
  ]);
  const exports = Object.entries(endpoints).map(([name, value]) => `export ${name}=${value}`);
  return [...lines, '', ...exports, ''].join('\n');
}
