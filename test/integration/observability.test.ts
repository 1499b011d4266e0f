import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT } from '../../stack/settings.js';
import { testEngine } from '../helpers/engines.js';
import { findChromium, freePort, get, metricValue, parseMetrics, type Sample } from '../helpers/http-endpoint.js';
import { Cleanup, openMysql, testKafka } from '../helpers/services.js';
import { prepareSakilaPipeline, waitForSakilaInStep, type SakilaPipeline } from '../helpers/sakila-pipeline.js';
import { runCli, startSluice, type SluiceProcess } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

/** Screenshots of the browser test land here (gitignored); CI keeps them as artifacts. */
const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');
/** The readiness check's stall time in the pipeline file: short, so the stall test is quick. */
const STALL_TIMEOUT_MS = 4_000;

const cleanup = new Cleanup();
const chromium = findChromium();
let sakila: SakilaPipeline;
let run: SluiceProcess;
let url: string;
let filePort: number;

const output = (): string => `\n--- sluice output ---\n${run.output().slice(-4000)}`;
const metrics = async (): Promise<Sample[]> => parseMetrics((await get(`${url}/metrics`)).body);

describe('the HTTP endpoint of a running pipeline (sluice run on Sakila, Elasticsearch)', () => {
  beforeAll(async () => {
    const elasticsearch = testEngine('elasticsearch', cleanup);
    sakila = await prepareSakilaPipeline(cleanup, elasticsearch);
    // the file turns the endpoint on; --http-port moves it to another port
    filePort = await freePort();
    const config = parse(readFileSync(sakila.file, 'utf8')) as Record<string, unknown>;
    // the snapshot streamed through the sink (no first load), so pages of every table are counted
    writeFileSync(sakila.file, stringify({ ...config, sink: { ...(config.sink as Record<string, unknown> | undefined), firstLoad: false }, http: { port: filePort, stallTimeoutMs: STALL_TIMEOUT_MS } }));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    run = startSluice(['run', '-c', sakila.file, '--http-port', String(port)], cleanup);
    await waitFor(async () => (await get(`${url}/health/live`)).status === 200, { timeoutMs: 60_000, description: `${url}/health/live` }).catch((error: unknown) => {
      throw new Error(`${String(error)}${output()}`);
    });
    await waitForSakilaInStep(elasticsearch, sakila, 180_000).catch((error: unknown) => {
      throw new Error(`${String(error)}${output()}`);
    });
  }, 300_000);
  afterAll(() => cleanup.run(), 60_000);

  it('answers on --http-port, on loopback, instead of the file\'s port', async () => {
    const live = await get(`${url}/health/live`);
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toEqual({ live: true, pipeline: sakila.pipeline });
    await expect(get(`http://127.0.0.1:${filePort}/health/live`)).rejects.toThrow();
    expect((await get(`${url}/nothing-here`)).status).toBe(404);
  });

  it('is ready once the snapshot is in the indexes and the lag is read', async () => {
    const ready = await waitFor(
      async () => {
        const answer = await get(`${url}/health/ready`);
        return answer.status === 200 ? answer : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: '/health/ready to answer 200' },
    );
    expect(JSON.parse(ready.body)).toEqual({ ready: true, pipeline: sakila.pipeline, reasons: [] });
  });

  it('/metrics counts the snapshot per table, the documents, the pages per partition and the lag', async () => {
    const film = `${sakila.database}.film`;
    const customer = `${sakila.database}.customer`;
    const filmTopic = `${sakila.pipeline}.${sakila.database}.film`;
    const group = `${sakila.pipeline}.sink`;
    const response = await get(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.contentType).toContain('text/plain');
    // every metric of sluice carries the pipeline label
    const samples = await waitFor(
      async () => {
        const current = await metrics();
        const lagSamples = current.filter((sample) => sample.name === 'sluice_consumer_lag_messages' && sample.labels.topic === filmTopic);
        return lagSamples.length === 3 && lagSamples.every((sample) => sample.value === 0) ? current : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000, description: 'the lag of the 3 film partitions to be read as 0' },
    );
    expect(samples.filter((sample) => sample.name.startsWith('sluice_')).every((sample) => sample.labels.pipeline === sakila.pipeline)).toBe(true);
    expect(metricValue(samples, 'sluice_captured_rows_total', { table: film, operation: 'read' })).toBe(1000);
    expect(metricValue(samples, 'sluice_captured_rows_total', { table: customer, operation: 'read' })).toBe(599);
    expect(metricValue(samples, 'sluice_consumer_lag_messages', { group, topic: filmTopic })).toBe(0);
    expect(metricValue(samples, 'sluice_documents_total', { outcome: 'written' })).toBeGreaterThanOrEqual(1000 + 599);
    expect(metricValue(samples, 'sluice_sink_pages_committed_total', { topic: filmTopic })).toBeGreaterThanOrEqual(3);
    expect(metricValue(samples, 'sluice_bulk_request_operations_count')).toBeGreaterThan(0);
    expect(metricValue(samples, 'sluice_bulk_request_operations_sum')).toBeGreaterThanOrEqual(1000 + 599);
    expect(metricValue(samples, 'sluice_bulk_request_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(metricValue(samples, 'sluice_kafka_produce_duration_seconds_count')).toBeGreaterThan(0);
    expect(metricValue(samples, 'sluice_source_snapshot_completed')).toBe(1);
    expect(metricValue(samples, 'sluice_source_position_saved_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(metricValue(samples, 'sluice_ready')).toBe(1);
    expect(metricValue(samples, 'sluice_info', { command: 'run' })).toBe(1);
    // bounded labels: no key or id
    const labelNames = new Set(samples.filter((sample) => sample.name.startsWith('sluice_')).flatMap((sample) => Object.keys(sample.labels)));
    expect([...labelNames].sort()).toEqual(expect.arrayContaining(['pipeline', 'table', 'operation', 'group', 'topic', 'partition', 'outcome']));
    expect([...labelNames].every((name) => ['pipeline', 'table', 'operation', 'group', 'topic', 'partition', 'outcome', 'reason', 'service', 'kind', 'document', 'state', 'command', 'version', 'domain', 'server', 'le'].includes(name))).toBe(true);
  });

  it('/metrics follows a streamed change: capture delay, commit-to-acknowledged latency, GTID position', async () => {
    const film = `${sakila.database}.film`;
    const before = await metrics();
    await sakila.connection.query("UPDATE film SET title = 'OBSERVED METRICS' WHERE film_id = 7");
    const after = await waitFor(
      async () => {
        const current = await metrics();
        return metricValue(current, 'sluice_commit_to_acknowledged_seconds_count') > metricValue(before, 'sluice_commit_to_acknowledged_seconds_count') ? current : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'the update to be acknowledged' },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}${output()}`);
    });
    expect(metricValue(after, 'sluice_captured_rows_total', { table: film, operation: 'update' }) - metricValue(before, 'sluice_captured_rows_total', { table: film, operation: 'update' })).toBe(1);
    expect(metricValue(after, 'sluice_capture_delay_seconds_count', { table: film }) - metricValue(before, 'sluice_capture_delay_seconds_count', { table: film })).toBe(1);
    expect(after.filter((sample) => sample.name === 'sluice_source_gtid_sequence').length).toBeGreaterThan(0);
    expect(metricValue(after, 'sluice_documents_total', { outcome: 'written' })).toBeGreaterThan(metricValue(before, 'sluice_documents_total', { outcome: 'written' }));
  });

  it('counts a dead letter by its reason and lists it on the status page', async () => {
    const producer = testKafka().producer();
    await producer.connect();
    try {
      await producer.send({ topic: `${sakila.pipeline}.${sakila.database}.film`, acks: -1, messages: [{ key: '{"film_id":99999}', value: Buffer.from('these bytes are no change event') }] });
    } finally {
      await producer.disconnect();
    }
    await waitFor(async () => metricValue(await metrics(), 'sluice_dead_letters_total', { reason: 'undecodable_message' }) === 1, {
      timeoutMs: 60_000,
      intervalMs: 500,
      description: 'the undecodable message to be dead-lettered',
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}${output()}`);
    });
    const page = await get(`${url}/`);
    expect(page.body).toMatch(/<table id="dead-letters">.*undecodable-message.*<\/table>/s);
    // ready: a dead letter is handled work, not a stall
    expect((await get(`${url}/health/ready`)).status).toBe(200);
  });

  it.skipIf(chromium === undefined)(
    `the status page loads in headless Chromium without console errors and shows the live numbers${chromium === undefined ? ' (SKIPPED: no chromium binary; apt-get install chromium or set SLUICE_CHROMIUM)' : ''}`,
    async () => {
      const puppeteer = (await import('puppeteer-core')).default;
      const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
      try {
        const page = await browser.newPage();
        await page.setViewport({ width: 1400, height: 1000 });
        const problems: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error' || message.type() === 'warn') problems.push(`console ${message.type()}: ${message.text()}`);
        });
        page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
        page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
        const response = await page.goto(`${url}/`, { waitUntil: 'load' });
        expect(response?.status()).toBe(200);
        const film = `${sakila.database}.film`;
        const cell = (field: string): Promise<string> => page.$eval(`tr[data-table="${film}"] td[data-field="${field}"]`, (element: unknown) => (element as { textContent: string | null }).textContent ?? '');
        expect(await page.title()).toBe(`sluice ${sakila.pipeline}`);
        expect(await cell('snapshot')).toBe('1,000');
        expect(await page.$eval('#readiness', (element: unknown) => (element as { textContent: string | null }).textContent)).toBe('ready');
        const text = await page.$eval('body', (element: unknown) => (element as { textContent: string | null }).textContent ?? '');
        expect(text).toContain(`${sakila.pipeline}-films`);
        const lag = await page.$eval('#lag', (element: unknown) => (element as { textContent: string | null }).textContent ?? '');
        expect(lag).toContain(`${sakila.pipeline}.sink · Stable · 1 member(s)`);
        expect(lag).toContain(`${sakila.database}.film`);
        expect(await page.$eval('#dead-letters', (element: unknown) => (element as { textContent: string | null }).textContent ?? '')).toContain('undecodable-message');
        // a change made now shows up on the open page, without a reload
        const streamed = Number((await cell('streamed')).replaceAll(',', ''));
        await sakila.connection.query("UPDATE film SET title = 'OBSERVED IN THE BROWSER' WHERE film_id = 8");
        await page.waitForFunction(
          // runs in the page: globalThis is its window
          (selector, previous) => Number(((globalThis as unknown as { document: { querySelector(selector: string): { textContent: string | null } | null } }).document.querySelector(selector)?.textContent ?? '').replaceAll(',', '')) > previous,
          { timeout: 60_000, polling: 250 },
          `tr[data-table="${film}"] td[data-field="streamed"]`,
          streamed,
        );
        await page.waitForSelector('#throughput polyline', { timeout: 30_000 });
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );

  it('sluice status prints the position, the lag per group and partition and the indexes, without the endpoint', async () => {
    const result = await runCli(['status', '-c', sakila.file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const text = result.stdout;
    expect(text).toMatch(/^position: gtid \d+-\d+-\d+/m);
    expect(text).toMatch(new RegExp(`^group ${sakila.pipeline}\\.sink \\(Stable, 1 member\\(s\\)\\): lag \\d+$`, 'm'));
    for (const partition of [0, 1, 2]) expect(text).toMatch(new RegExp(`^  ${sakila.pipeline}\\.${sakila.database}\\.film\\s+${partition}\\s+\\d+\\s+\\d+\\s+\\d+$`, 'm'));
    expect(text).toMatch(new RegExp(`^films\\s+${sakila.filmIndex}\\s+1000$`, 'm'));
    expect(text).toMatch(/^dead letters: 1$/m);
    expect(text).toMatch(new RegExp(`^customers\\s+${sakila.customerIndex}\\s+599$`, 'm'));
    const json = await runCli(['status', '-c', sakila.file, '--json']);
    const report = JSON.parse(json.stdout) as { groups: Array<{ group: string; partitions: unknown[] }>; indexes: Array<{ documents: number }> };
    expect(report.groups.find((group) => group.group === `${sakila.pipeline}.sink`)?.partitions.length).toBeGreaterThanOrEqual(6);
    expect(report.indexes.map((index) => index.documents)).toEqual([1000, 599]);
  });

  it('/health/ready says not ready, and why, while the sink has lag but makes no progress; ready again after', async () => {
    // a WRITE lock on film blocks the sink's document builds of films (it reads the table) but not the capture
    const locker = await openMysql(cleanup, sakila.database);
    await locker.query('LOCK TABLES film WRITE');
    try {
      await locker.query("UPDATE film SET title = 'STALLED' WHERE film_id = 9");
      const stalled = await waitFor(
        async () => {
          const answer = await get(`${url}/health/ready`);
          return answer.status === 503 ? answer : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500, description: '/health/ready to answer 503' },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}${output()}`);
      });
      const body = JSON.parse(stalled.body) as { ready: boolean; reasons: string[] };
      expect(body.ready).toBe(false);
      expect(body.reasons.join('\n')).toMatch(/sink: \d+ message\(s\) waiting on 1 partition\(s\) but no page committed for \d+ s \(stallTimeoutMs 4000\)/);
      expect(metricValue(await metrics(), 'sluice_ready')).toBe(0);
    } finally {
      await locker.query('UNLOCK TABLES');
    }
    await waitFor(async () => (await get(`${url}/health/ready`)).status === 200, { timeoutMs: 60_000, intervalMs: 500, description: '/health/ready to answer 200 again' });
  });
});
