/**
 * A preload that samples what a `sluice sink` process allocates, collected objects included (V8's
 * sampling heap profiler through the inspector), for its first SLUICE_SAMPLE_SECONDS seconds
 * (default 25), then writes the functions that allocated most to
 * `<SLUICE_SAMPLE_DIR or the temp directory>/sluice-allocations-<pid>.txt`. Other commands are left
 * alone. Give it to the bench's sluice processes (Node accepts --import in NODE_OPTIONS):
 *
 *   npm run bench -- --engine opensearch --only large --passes 1 --node-options="--import=$PWD/bench/sample-allocations.js"
 *
 * Divide the total by the documents the sink wrote in that time for bytes per document.
 *
 * With SLUICE_SAMPLE_SURVIVORS=1 it leaves out the objects a young-generation GC (scavenge)
 * collected: what is left survived at least one scavenge, the bytes V8 copies or promotes. A
 * scavenge costs in proportion to those, not to what was allocated (bench/gc-survival.js gives
 * their totals).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SAMPLE_SECONDS = Number(process.env.SLUICE_SAMPLE_SECONDS ?? 25);
const TOP = 45;
const SURVIVORS_ONLY = process.env.SLUICE_SAMPLE_SURVIVORS === '1';

if (process.argv.includes('sink')) {
  const session = new Session();
  session.connect();
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !SURVIVORS_ONLY });
  setTimeout(() => {
    post('HeapProfiler.stopSampling')
      .then(({ profile }) => {
        const file = join(process.env.SLUICE_SAMPLE_DIR ?? tmpdir(), `sluice-allocations-${process.pid}.txt`);
        writeFileSync(file, summarize(profile.head));
      })
      .catch((error) => console.error(`sample-allocations: ${String(error)}`));
  }, SAMPLE_SECONDS * 1000).unref();
}

/** The sampled bytes by allocating function (name and file:line), largest first, with the total. */
function summarize(head) {
  const byFunction = new Map();
  let total = 0;
  const walk = (node) => {
    const url = node.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/');
    const key = `${node.callFrame.functionName || '(anonymous)'} ${url}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(head);
  const mebibytes = (bytes) => (bytes / 1048576).toFixed(0);
  const lines = [`${SURVIVORS_ONLY ? 'allocated and alive at a scavenge' : 'allocated'} in the first ${SAMPLE_SECONDS} s (sampled): ${mebibytes(total)} MiB`];
  for (const [key, size] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, TOP)) lines.push(`${((size / total) * 100).toFixed(1)} %  ${mebibytes(size)} MiB  ${key}`);
  return `${lines.join('\n')}\n`;
}
