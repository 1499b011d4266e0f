import type { StatusSnapshot, ThroughputPoint } from './pipeline-observer.js';
import type { Readiness } from './readiness.js';

/** How often the page fetches itself again, ms. */
export const STATUS_PAGE_REFRESH_MS = 2_000;

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char);
}

const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const number = (value: number): string => Math.round(value).toLocaleString('en-US');
const duration = (ms: number | null): string => (ms === null ? '–' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/**
 * The status page: one server-rendered HTML page that a person reads at a glance (the pipeline,
 * capture per table, consumer lag per partition, throughput, dead letters, sync progress, errors).
 * A small script fetches the page again every {@link STATUS_PAGE_REFRESH_MS} and swaps its
 * content, so it stays live without a framework.
 */
export function renderStatusPage(status: StatusSnapshot, readiness: Readiness): string {
  const { outline } = status;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>sluice ${escapeHtml(outline.pipeline)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: 16px 24px; color: #1d2330; background: #f6f7f9; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 20px 0 6px; }
.meta { color: #5a6275; } .badge { display: inline-block; padding: 2px 8px; border-radius: 10px; color: #fff; font-weight: 600; }
.ready { background: #23884a; } .not-ready { background: #b3261e; }
table { border-collapse: collapse; background: #fff; min-width: 420px; } th, td { padding: 4px 10px; border-bottom: 1px solid #e3e6ec; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } .flow { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.box { background: #fff; border: 1px solid #cfd5df; border-radius: 6px; padding: 6px 10px; } .arrow { color: #7a8397; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 8px 24px; }
.bar { background: #e3e6ec; width: 160px; height: 10px; border-radius: 5px; overflow: hidden; display: inline-block; } .bar > span { display: block; height: 100%; background: #3c6fd1; }
tr.group th { background: #eef1f6; } .empty { color: #7a8397; font-style: italic; } .reason { color: #b3261e; } #connection { float: right; color: #7a8397; }
</style>
</head>
<body>
<div id="connection">live, every ${STATUS_PAGE_REFRESH_MS / 1000} s</div>
<div id="status">${renderContent(status, readiness)}</div>
<script>
(function () {
  var connection = document.getElementById('connection');
  function refresh() {
    fetch(location.pathname, { cache: 'no-store' })
      .then(function (response) { if (!response.ok) throw new Error('HTTP ' + response.status); return response.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, 'text/html').getElementById('status');
        if (next) document.getElementById('status').innerHTML = next.innerHTML;
        connection.textContent = 'live, every ${STATUS_PAGE_REFRESH_MS / 1000} s';
      })
      .catch(function (error) { connection.textContent = 'not reachable (' + error.message + '), retrying'; })
      .then(function () { setTimeout(refresh, ${STATUS_PAGE_REFRESH_MS}); });
  }
  setTimeout(refresh, ${STATUS_PAGE_REFRESH_MS});
})();
</script>
</body>
</html>
`;
}

function renderContent(status: StatusSnapshot, readiness: Readiness): string {
  const { outline } = status;
  return `<h1>sluice · ${escapeHtml(outline.pipeline)} <span class="badge ${readiness.ready ? 'ready' : 'not-ready'}" id="readiness">${readiness.ready ? 'ready' : 'not ready'}</span></h1>
<div class="meta">sluice ${escapeHtml(outline.command)} · up ${duration(status.nowMs - status.startedAtMs)} · updated <span id="updated">${time(status.nowMs)}</span></div>
${readiness.reasons.map((reason) => `<div class="reason">${escapeHtml(reason)}</div>`).join('\n')}
<h2>Pipeline</h2>
<div class="flow"><span class="box">${escapeHtml(outline.source)}</span><span class="arrow">→</span><span class="box">Kafka topics ${escapeHtml(outline.topicPrefix)}.*</span><span class="arrow">→</span>${
    outline.documents.length === 0 ? '<span class="box empty">no documents</span>' : outline.documents.map((document) => `<span class="box">${escapeHtml(document.name)} → index ${escapeHtml(document.index)}</span>`).join(' ')
  }</div>
<div class="grid">
<section><h2>Capture per table</h2>${renderTables(status)}${renderPosition(status)}</section>
<section><h2>Documents</h2>${renderSink(status)}</section>
<section><h2>Throughput (last ${Math.round(chartSpanMs(status.throughput) / 60_000) || '<1'} min)</h2>${renderChart(status.throughput)}</section>
<section><h2>Consumer lag per partition</h2>${renderLag(status)}</section>
<section><h2>Sync</h2>${renderSync(status)}</section>
<section><h2>Latest dead letters</h2>${renderDeadLetters(status)}</section>
<section><h2>Last errors</h2>${renderErrors(status)}</section>
</div>`;
}

function table(headers: readonly string[], rows: readonly string[], id: string, empty: string): string {
  if (rows.length === 0) return `<p class="empty" id="${id}">${escapeHtml(empty)}</p>`;
  return `<table id="${id}"><thead><tr>${headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function renderTables(status: StatusSnapshot): string {
  const rows = status.tables.map(
    (entry) =>
      `<tr data-table="${escapeHtml(entry.table)}"><td>${escapeHtml(entry.table)}</td><td class="n" data-field="snapshot">${number(entry.snapshotRows)}</td><td class="n" data-field="streamed">${number(entry.streamedRows)}</td><td class="n">${duration(entry.lastDelayMs)}</td></tr>`,
  );
  return table(['table', 'snapshot rows', 'streamed rows', 'last delay'], rows, 'tables', status.outline.command === 'run' || status.outline.command === 'source' ? 'nothing captured yet' : 'this command does not capture');
}

function renderPosition(status: StatusSnapshot): string {
  const saved = status.capture?.lastSaved;
  if (saved === undefined) return '';
  const position = typeof saved.gtidPosition === 'string' ? saved.gtidPosition : JSON.stringify(saved);
  return `<p id="position">position <code>${escapeHtml(position)}</code> saved ${time(saved.savedAtMs)}${saved.snapshotCompleted ? '' : ' (snapshot not completed)'}</p>`;
}

function renderSink(status: StatusSnapshot): string {
  if (status.outline.command === 'source') return '<p class="empty">this command does not write documents</p>';
  const { sink } = status;
  const cells = [
    ['pages committed', sink.pages],
    ['changes', sink.changes],
    ['written', sink.written],
    ['deleted', sink.deleted],
    ['superseded', sink.superseded],
    ['rejected', sink.rejected],
  ] as const;
  return `<table id="documents"><tbody>${cells.map(([label, value]) => `<tr><td>${label}</td><td class="n" data-field="${label.split(' ')[0] ?? label}">${number(value)}</td></tr>`).join('')}</tbody></table>`;
}

function renderLag(status: StatusSnapshot): string {
  const prefix = `${status.outline.topicPrefix}.`;
  const groups = status.groups.filter((group) => group.partitions.length > 0);
  const rows = groups.flatMap((group) => {
    const total = group.partitions.reduce((sum, entry) => sum + entry.lag, 0);
    return [
      `<tr class="group"><th colspan="5">${escapeHtml(group.group)} · ${escapeHtml(group.state)} · ${group.members} member(s) · lag <span data-group-lag="${escapeHtml(group.group)}">${number(total)}</span></th></tr>`,
      ...group.partitions.map(
        (entry) =>
          `<tr><td>${escapeHtml(entry.topic.startsWith(prefix) ? entry.topic.slice(prefix.length) : entry.topic)}</td><td class="n">${entry.partition}</td><td class="n">${entry.committed ?? '–'}</td><td class="n">${entry.end}</td><td class="n" data-field="lag">${number(entry.lag)}</td></tr>`,
      ),
    ];
  });
  const error = status.lagError === undefined ? '' : `<p class="reason">${escapeHtml(status.lagError)}</p>`;
  return table([`topic (${prefix}…)`, 'partition', 'committed', 'end', 'lag'], rows, 'lag', status.lagReadAtMs === undefined ? 'not read yet' : 'no partition read yet') + error;
}

function renderSync(status: StatusSnapshot): string {
  const rows = status.sync.map((entry) => {
    const percent = entry.total === 0 ? 100 : Math.min(100, (100 * entry.done) / entry.total);
    return `<tr><td>${escapeHtml(entry.document)}</td><td><span class="bar"><span style="width:${percent.toFixed(1)}%"></span></span> ${percent.toFixed(0)}%</td><td class="n">${number(entry.done)} / ${number(entry.total)}</td><td class="n">${number(entry.written)}</td><td class="n">${number(entry.unchanged)}</td></tr>`;
  });
  return table(['document', 'progress', 'roots', 'written', 'unchanged'], rows, 'sync', 'no sync in progress');
}

function renderDeadLetters(status: StatusSnapshot): string {
  const rows = status.deadLetters.slice(0, 10).map((letter) => {
    const trigger = letter.trigger === undefined ? '' : `${letter.trigger.table ?? letter.trigger.topic} #${letter.trigger.partition}@${letter.trigger.offset}`;
    return `<tr><td>${time(letter.atMs)}</td><td>${escapeHtml(letter.kind)}</td><td>${escapeHtml(letter.index ?? '')} ${escapeHtml(letter.documentId ?? '')}</td><td>${escapeHtml(trigger)}</td><td>${escapeHtml(letter.reason)}</td></tr>`;
  });
  return table(['at', 'kind', 'document', 'from', 'reason'], rows, 'dead-letters', 'none');
}

function renderErrors(status: StatusSnapshot): string {
  const rows = status.errors.slice(0, 10).map(
    (error) => `<tr><td>${time(error.atMs)}</td><td>${escapeHtml(error.service)}</td><td>${escapeHtml(error.kind)}${error.retried ? ', retried' : ''}</td><td>${escapeHtml(error.message)}</td></tr>`,
  );
  return table(['at', 'service', 'class', 'message'], rows, 'errors', 'none');
}

function chartSpanMs(points: readonly ThroughputPoint[]): number {
  const first = points[0];
  const last = points[points.length - 1];
  return first === undefined || last === undefined ? 0 : last.atMs - first.atMs;
}

/** A small SVG line chart of rows captured and documents written per second. */
function renderChart(points: readonly ThroughputPoint[]): string {
  if (points.length < 2) return '<p class="empty" id="throughput">collecting…</p>';
  const width = 440;
  const height = 120;
  const max = Math.max(1, ...points.map((point) => Math.max(point.capturedPerSecond, point.documentsPerSecond)));
  const span = Math.max(1, chartSpanMs(points));
  const start = points[0]?.atMs ?? 0;
  const line = (value: (point: ThroughputPoint) => number): string =>
    points.map((point) => `${(((point.atMs - start) / span) * width).toFixed(1)},${(height - (value(point) / max) * height).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  return `<svg id="throughput" width="${width}" height="${height + 20}" viewBox="0 -4 ${width} ${height + 24}" role="img" aria-label="throughput">
<rect x="0" y="0" width="${width}" height="${height}" fill="#fff" stroke="#e3e6ec"/>
<polyline fill="none" stroke="#3c6fd1" stroke-width="2" points="${line((point) => point.capturedPerSecond)}"/>
<polyline fill="none" stroke="#23884a" stroke-width="2" points="${line((point) => point.documentsPerSecond)}"/>
<text x="4" y="${height + 16}" font-size="11" fill="#3c6fd1">captured ${number(last?.capturedPerSecond ?? 0)}/s</text>
<text x="150" y="${height + 16}" font-size="11" fill="#23884a">documents ${number(last?.documentsPerSecond ?? 0)}/s</text>
<text x="${width - 4}" y="12" font-size="11" text-anchor="end" fill="#7a8397">max ${number(max)}/s</text>
</svg>`;
}
