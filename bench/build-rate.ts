/**
 * CPU cost of building documents alone (no Kafka, no engine): creates a shop of N products on the
 * stack's MariaDB (bench/lib/shop.ts), builds every product document with buildDocuments in
 * batches of 500 ids (the sink's buildBatchSize), in passes (three by default), and prints CPU
 * microseconds per document (the driver's row parsing included), MariaDB's CPU per document (when
 * the stack's pid file names it) and the JSON bytes made (counted without decoding them). The
 * first pass meets the shop as a bulk load leaves it (InnoDB recounts a table's statistics only
 * some seconds later); the last line gives the pass that spent the least CPU per document, the
 * figure to compare between builds, since the machine's speed drifts between passes. Drops the
 * shop after.
 * Usage: npx tsx bench/build-rate.ts [roots] [passes]
 */
import { buildDocuments } from '../src/descriptors/build-documents.js';
import { loadDescriptors, openReadPool } from '../src/descriptors/read-pool.js';
import { readTableCatalog } from '../src/sources/mysql/table-catalog.js';
import { createShop, SHOP_DOCUMENTS } from './lib/shop.js';
import { cpuSeconds, servicePids } from './lib/processes.js';
import { mysqlOptions, openSql } from './lib/services.js';

const ROOTS = Number(process.argv[2] ?? 50_000);
const PASSES = Number(process.argv[3] ?? 3);
if (!Number.isInteger(ROOTS) || ROOTS < 1 || !Number.isInteger(PASSES) || PASSES < 1) {
  console.error(`build-rate: roots and passes are whole numbers above 0 (got ${process.argv[2] ?? ''} ${process.argv[3] ?? ''}); usage: npx tsx bench/build-rate.ts [roots] [passes]`);
  process.exit(2);
}
const BATCH = 500;
const database = `sluice_build_rate_${process.pid}`;

const mariadb = servicePids().mariadb;
const mariadbSeconds = (): number => (mariadb === undefined ? Number.NaN : (cpuSeconds(mariadb) ?? Number.NaN));
const sql = await openSql();
const pool = openReadPool(mysqlOptions, 2);
try {
  await createShop(sql, database, ROOTS);
  const [descriptor] = await loadDescriptors((databases) => readTableCatalog(pool, databases, () => true), { products: { ...SHOP_DOCUMENTS.products, index: 'build-rate' } }, {
    file: 'build-rate',
    pipeline: 'build-rate',
    defaultDatabase: database,
    isCaptured: () => true,
    databases: [database],
  });
  if (descriptor === undefined) throw new Error('no descriptor compiled');
  const connection = await pool.getConnection();
  try {
    let best: { pass: number; micros: number; mariadbMicros: number } | undefined;
    for (let pass = 1; pass <= PASSES; pass += 1) {
      let documents = 0;
      let bytes = 0;
      const started = process.cpuUsage();
      const mariadbStarted = mariadbSeconds();
      const startedMs = performance.now();
      for (let first = 1; first <= ROOTS; first += BATCH) {
        const ids = Array.from({ length: Math.min(BATCH, ROOTS - first + 1) }, (_, index) => String(first + index));
        const built = await buildDocuments(connection, descriptor, ids);
        documents += built.documents.length;
        for (const document of built.documents) bytes += document.jsonBytes;
      }
      const cpu = process.cpuUsage(started);
      const seconds = (performance.now() - startedMs) / 1000;
      const mariadbMicros = ((mariadbSeconds() - mariadbStarted) * 1e6) / documents;
      const micros = (cpu.user + cpu.system) / documents;
      if (best === undefined || micros < best.micros) best = { pass, micros, mariadbMicros };
      process.stdout.write(
        `pass ${pass}: ${documents} documents in ${seconds.toFixed(2)} s, ${micros.toFixed(1)} µs CPU per document (this process), ${Number.isNaN(mariadbMicros) ? 'MariaDB not metered' : `MariaDB ${mariadbMicros.toFixed(1)} µs`}, ${(bytes / documents).toFixed(0)} JSON bytes each\n`,
      );
    }
    if (best !== undefined) process.stdout.write(`best: pass ${best.pass}, ${best.micros.toFixed(1)} µs CPU per document (this process), MariaDB ${best.mariadbMicros.toFixed(1)} µs\n`);
  } finally {
    connection.release();
  }
} finally {
  await sql.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await sql.end();
  await pool.end();
}
