import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import type { SinkChangeEvent } from '../../src/model/change-event.js';
import { documentPipelineSettings } from '../../src/pipeline/document-pipeline-settings.js';
import { DocumentPipeline } from '../../src/pipeline/document-pipeline.js';
import { readIndexDocuments } from '../helpers/sakila-pipeline.js';
import { testEngine } from '../helpers/engines.js';
import { Cleanup, createTestDatabase, openMysql, testKafka } from '../helpers/services.js';
import { startSluice, streamingPipelineFile } from '../helpers/sluice-process.js';
import { waitFor } from '../helpers/wait-for.js';

// The sink decodes only the columns its expansion reads (keys, join columns, columns the documents
// use): a wide column no document reads is skipped in the Avro bytes, and the documents are the same.

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('the sink decodes only the columns the documents read', () => {
  it('leaves unread columns out of the decoded changes, and still follows every change that matters', async () => {
    const database = await createTestDatabase(cleanup, 'decoded_cols');
    const sql = await openMysql(cleanup, database);
    await sql.query('CREATE TABLE category (id INT PRIMARY KEY, name VARCHAR(40), notes TEXT)');
    await sql.query('CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40), category_id INT, notes LONGTEXT, cost DECIMAL(10,2), KEY (category_id))');
    await sql.query("INSERT INTO category VALUES (1, 'lamps', 'internal'), (2, 'chairs', 'internal')");
    const { file, pipeline } = streamingPipelineFile(database, {
      items: { table: 'item', fields: ['name'], relations: { category: { type: 'manyToOne', table: 'category', foreignKey: 'category_id', scalar: 'name' } } },
    });
    const engine = testEngine('elasticsearch', cleanup);
    const index = `${pipeline}-items`;
    cleanup.add(() => engine.deleteIndex(index));
    startSluice(['source', '-c', file], cleanup);

    const acknowledged: SinkChangeEvent[] = [];
    const settings = documentPipelineSettings(loadPipelineConfig(file), file, pino({ level: 'silent' }));
    const sink = new DocumentPipeline(testKafka(), engine, { ...settings, sessionTimeoutMs: 10_000, onPageAcknowledged: (page) => acknowledged.push(...page.changes) });
    const controller = new AbortController();
    const running = sink.run(controller.signal);
    cleanup.add(async () => {
      controller.abort();
      await running;
    });

    const notes = 'x'.repeat(100_000);
    await sql.query('INSERT INTO item VALUES (1, ?, 1, ?, 9.99), (2, ?, 2, ?, 19.99)', ['desk lamp', notes, 'stool', notes]);
    await waitFor(async () => (await readIndexDocuments(engine, index).catch(() => new Map())).size === 2, { timeoutMs: 90_000, description: 'both items indexed' });
    // a change to unread columns only, then changes to read ones: an item's name, a category's name, an item's category
    await sql.query("UPDATE item SET notes = 'changed', cost = 1.00 WHERE id = 1");
    await sql.query("UPDATE item SET name = 'floor lamp' WHERE id = 1");
    await sql.query("UPDATE category SET name = 'seats', notes = 'renamed' WHERE id = 2");
    await sql.query('UPDATE item SET category_id = 2 WHERE id = 1');
    await waitFor(
      async () => {
        const documents = await readIndexDocuments(engine, index);
        return documents.get('1')?.name === 'floor lamp' && documents.get('1')?.category === 'seats' && documents.get('2')?.category === 'seats';
      },
      { timeoutMs: 60_000, description: 'item 1 renamed and moved, category 2 renamed in both items' },
    );
    const documents = await readIndexDocuments(engine, index);
    expect(documents.get('1')).toMatchObject({ name: 'floor lamp', category: 'seats' });
    expect(documents.get('2')).toMatchObject({ name: 'stool', category: 'seats' });

    await waitFor(() => acknowledged.filter((event) => event.source.table === 'item').length >= 5, { timeoutMs: 30_000, description: 'the item changes acknowledged' });
    const imagesOf = (table: string): Array<Record<string, unknown>> =>
      acknowledged.filter((event) => event.source.table === table).flatMap((event) => [event.before, event.after].filter((image) => image !== null));
    const items = imagesOf('item');
    const categories = imagesOf('category');
    expect(items.length).toBeGreaterThanOrEqual(8);
    expect(categories.length).toBeGreaterThanOrEqual(2);
    for (const image of items) expect(Object.keys(image).sort()).toEqual(['category_id', 'id', 'name']);
    for (const image of categories) expect(Object.keys(image).sort()).toEqual(['id', 'name']);
    expect(items).toContainEqual({ id: 1, name: 'floor lamp', category_id: 2 });
    // of the envelope, only what the sink reads (see SinkChangeEvent)
    for (const event of acknowledged) {
      expect(Object.keys(event).sort()).toEqual(['after', 'before', 'op', 'source', 'tsMs']);
      expect(Object.keys(event.source).sort()).toEqual(['db', 'file', 'gtid', 'pos', 'snapshot', 'table', 'tsMs']);
    }
    expect(sink.stats.undecodable).toBe(0);
  }, 180_000);
});
