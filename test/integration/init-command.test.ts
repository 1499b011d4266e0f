import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPipelineConfig } from '../../src/config/load-pipeline-config.js';
import { buildDocuments } from '../../src/descriptors/build-documents.js';
import { openReadPool } from '../../src/descriptors/read-pool.js';
import { mysqlConnectionOptions } from '../../src/sources/mysql/connection-options.js';
import { compileTestDocuments } from '../helpers/descriptors.js';
import { loadSakilaDatabase } from '../helpers/sakila-pipeline.js';
import { Cleanup, endpoints } from '../helpers/services.js';
import { runCli } from '../helpers/sluice-process.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

describe('sluice init', () => {
  it('proposes a Sakila film document from the foreign keys that validate accepts and that builds documents', async () => {
    const { database } = await loadSakilaDatabase(cleanup, 'sakila_init');
    const directory = mkdtempSync(join(tmpdir(), 'sluice-init-'));
    cleanup.add(() => Promise.resolve(rmSync(directory, { recursive: true, force: true })));
    const file = join(directory, 'pipeline.yml');

    const init = await runCli(['init', '--from', endpoints.mysqlUrl, '--root', `${database}.film`, '--depth', '2', '-o', file]);
    expect(init.stderr).toContain(`wrote ${file}`);
    expect(init.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(`:${new URL(endpoints.mysqlUrl).password}@`);
    const validate = await runCli(['validate', '-c', file]);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);

    const config = loadPipelineConfig(file, { SLUICE_MYSQL_URL: endpoints.mysqlUrl });
    const film = config.documents.film;
    expect(film?.table).toBe('film');
    const relations = film?.relations ?? {};
    expect(Object.keys(relations)).toEqual(['language', 'original_language', 'actors', 'categories', 'inventories']);
    expect(relations.actors).toMatchObject({ type: 'manyToMany', table: 'actor', through: { table: 'film_actor', foreignKey: 'film_id', otherKey: 'actor_id' } });
    expect(relations.language).toMatchObject({ type: 'manyToOne', table: 'language', foreignKey: 'language_id' });
    expect(relations.inventories).toMatchObject({ type: 'oneToMany', table: 'inventory', foreignKey: 'film_id' });
    // depth 2: the inventory's store and rentals
    expect(Object.keys(relations.inventories?.relations ?? {})).toEqual(expect.arrayContaining(['store', 'rentals']));
    expect(film?.mappings).toMatchObject({ properties: { title: { type: 'text' }, last_update: { type: 'date' }, actors: { properties: { first_name: { type: 'text' } } } } });

    const pool = openReadPool(mysqlConnectionOptions(endpoints.mysqlUrl), 2);
    cleanup.add(() => pool.end());
    const descriptors = await compileTestDocuments(pool, { database, file, pipeline: config.pipeline, databases: config.source.mysql.databases }, config.documents, { checkQueries: true });
    const [descriptor] = descriptors;
    if (descriptor === undefined) throw new Error('no document');
    const connection = await pool.getConnection();
    try {
      const ids = Array.from({ length: 1000 }, (_, index) => String(index + 1));
      const page = await buildDocuments(connection, descriptor, ids);
      expect(page.documents).toHaveLength(1000);
      const first = page.documents.find((document) => document.id === '1')?.source as Record<string, unknown> | undefined;
      expect(first).toMatchObject({ film_id: 1, title: 'ACADEMY DINOSAUR', language: { name: 'English' }, original_language: null });
      expect(first?.actors).toHaveLength(10);
      expect((first?.inventories as unknown[]).length).toBeGreaterThan(0);
    } finally {
      connection.release();
    }

    // the file exists now: init refuses to overwrite it, and an unknown root names the tables
    expect((await runCli(['init', '--from', endpoints.mysqlUrl, '--root', `${database}.film`, '-o', file])).code).toBe(2);
    const unknown = await runCli(['init', '--from', endpoints.mysqlUrl, '--root', `${database}.flim`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`table ${database}.flim does not exist`);
    expect(unknown.stderr).toContain('film_actor');
  }, 180_000);
});
