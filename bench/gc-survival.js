/**
 * A preload that measures the garbage collections of a `sluice sink` process (V8's GC profiler:
 * the heap spaces before and after each collection) from SLUICE_GC_FROM_SECONDS (default 4) after
 * its start, for SLUICE_GC_SECONDS (default 10), then writes a summary to
 * `<SLUICE_SAMPLE_DIR or the temp directory>/sluice-gc-<pid>.txt`. Other commands are left alone.
 * Give it to the bench's sluice processes (Node accepts --import in NODE_OPTIONS):
 *
 *   npm run bench -- --engine opensearch --only large --passes 1 --node-options="--import=$PWD/bench/gc-survival.js"
 *
 * A scavenge copies what is alive in the young generation, so its cost follows the bytes that
 * survive it, not the bytes allocated. The summary gives, per scavenge, the young generation's
 * use before it, what stayed there (survived once) and what moved to the old generation
 * (survived twice: promoted, later freed by a full GC); and the full GCs' count and time.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GCProfiler } from 'node:v8';

const FROM_SECONDS = Number(process.env.SLUICE_GC_FROM_SECONDS ?? 4);
const SECONDS = Number(process.env.SLUICE_GC_SECONDS ?? 10);

if (process.argv.includes('sink')) {
  const profiler = new GCProfiler();
  setTimeout(() => profiler.start(), FROM_SECONDS * 1000).unref();
  setTimeout(
    () => {
      const file = join(process.env.SLUICE_SAMPLE_DIR ?? tmpdir(), `sluice-gc-${process.pid}.txt`);
      writeFileSync(file, summarize(profiler.stop().statistics));
    },
    (FROM_SECONDS + SECONDS) * 1000,
  ).unref();
}

/** The bytes a heap space used in one of a collection's before/after statistics. */
function used(heap, space) {
  return heap.heapSpaceStatistics.find((entry) => entry.spaceName === space)?.spaceUsedSize ?? 0;
}

/** Scavenges (with what they kept) and the other collections, from the GC profiler's statistics. */
function summarize(statistics) {
  const scavenge = { count: 0, microseconds: 0, youngBefore: 0, survived: 0, promoted: 0 };
  const others = new Map();
  for (const gc of statistics) {
    if (gc.gcType === 'Scavenge') {
      scavenge.count += 1;
      scavenge.microseconds += gc.cost;
      scavenge.youngBefore += used(gc.beforeGC, 'new_space') + used(gc.beforeGC, 'new_large_object_space');
      scavenge.survived += used(gc.afterGC, 'new_space');
      scavenge.promoted += used(gc.afterGC, 'old_space') - used(gc.beforeGC, 'old_space');
    } else {
      const other = others.get(gc.gcType) ?? { count: 0, microseconds: 0 };
      other.count += 1;
      other.microseconds += gc.cost;
      others.set(gc.gcType, other);
    }
  }
  const mebibytes = (bytes) => (bytes / 1048576).toFixed(1);
  const perScavenge = (bytes) => mebibytes(scavenge.count === 0 ? 0 : bytes / scavenge.count);
  const lines = [
    `${SECONDS} s of the sink from ${FROM_SECONDS} s after its start`,
    `scavenges: ${scavenge.count}, ${(scavenge.microseconds / 1000).toFixed(0)} ms on the main thread; each on average: young generation ${perScavenge(scavenge.youngBefore)} MiB before, ${perScavenge(scavenge.survived)} MiB survived in it, ${perScavenge(scavenge.promoted)} MiB promoted`,
    ...[...others].map(([type, other]) => `${type}: ${other.count}, ${(other.microseconds / 1000).toFixed(0)} ms on the main thread`),
  ];
  return `${lines.join('\n')}\n`;
}
