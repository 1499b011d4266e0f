/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`): sampled time by where the code lives (each npm
 * package, each sluice source file, Node internals, garbage collection, idle) and the functions
 * with the most self time. Idle is time the process waited (for MariaDB, Kafka, Elasticsearch).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '../../stack/settings.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One line of a summary: a name and its share. */
export interface ProfileShare {
  readonly name: string;
  readonly milliseconds: number;
  /** Share of the busy (non-idle) time. */
  readonly busyShare: number;
}

/** A summarized profile. */
export interface ProfileSummary {
  readonly file: string;
  readonly wallSeconds: number;
  /** Share of the wall time the main thread was busy (not idle). */
  readonly busyShare: number;
  /** The seconds after the profile start that were summarized (all of it when absent). */
  readonly window?: { readonly from: number; readonly to: number };
  /** Self time by where the code lives. */
  readonly byLocation: readonly ProfileShare[];
  /** Self time with Node internals and native calls charged to their nearest caller in a package or sluice file. */
  readonly byComponent: readonly ProfileShare[];
  readonly topFunctions: readonly ProfileShare[];
  /** sluice's own functions by inclusive time (themselves and everything they call, synchronously). */
  readonly sluiceInclusive: readonly ProfileShare[];
}

/** Where a frame's code lives: an npm package, a sluice file, Node internals or a V8 pseudo-frame. */
function location(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native ${functionName}`;
  }
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? url);
  }
  try {
    return `sluice ${relative(PROJECT_ROOT, url.startsWith('file:') ? fileURLToPath(url) : url)}`;
  } catch {
    return url;
  }
}

/** Components that do work on behalf of their callers: their self time is charged to the caller. */
function isHelper(where: string): boolean {
  return where === 'node internals' || where.startsWith('native ') || where === 'V8/native (program)';
}

/**
 * Reads and summarizes a .cpuprofile file, optionally only the samples between `window.from` and
 * `window.to` seconds after the profile started (about when the process started).
 */
export function summarizeProfile(file: string, top = 15, window?: { readonly from: number; readonly to: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const selfTime = new Map<number, number>();
  let elapsed = 0;
  profile.samples.forEach((id, index) => {
    const delta = (profile.timeDeltas[index] ?? 0) / 1000;
    elapsed += delta;
    if (window !== undefined && (elapsed < window.from * 1000 || elapsed > window.to * 1000)) return;
    selfTime.set(id, (selfTime.get(id) ?? 0) + delta);
  });
  const byLocation = new Map<string, number>();
  const byComponent = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, milliseconds] of selfTime) {
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) continue;
    const where = location(frame.url, frame.functionName);
    total += milliseconds;
    if (where === 'idle') {
      idle += milliseconds;
      continue;
    }
    byLocation.set(where, (byLocation.get(where) ?? 0) + milliseconds);
    // Node internals and native calls are charged to the nearest caller in a package or sluice file
    let component = where;
    for (let ancestor = parents.get(id); isHelper(component) && ancestor !== undefined; ancestor = parents.get(ancestor)) {
      const caller = nodes.get(ancestor)?.callFrame;
      if (caller !== undefined && caller.url !== '' && !caller.url.startsWith('node:')) component = location(caller.url, caller.functionName);
    }
    byComponent.set(component, (byComponent.get(component) ?? 0) + milliseconds);
    const name = `${frame.functionName === '' ? '(anonymous)' : frame.functionName} (${where}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`})`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + milliseconds);
  }
  // inclusive time of sluice's functions: each sample counts once for every distinct sluice function on its stack
  const inclusive = new Map<string, number>();
  for (const [id, milliseconds] of selfTime) {
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parents.get(node)) {
      const frame = nodes.get(node)?.callFrame;
      if (frame === undefined) continue;
      const where = location(frame.url, frame.functionName);
      if (!where.startsWith('sluice src/') && !where.startsWith('sluice dist/')) continue;
      const name = `${frame.functionName === '' ? '(anonymous)' : frame.functionName} (${where}:${frame.lineNumber + 1})`;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + milliseconds);
    }
  }
  const busy = Math.max(1, total - idle);
  const shares = (entries: Map<string, number>, limit: number): ProfileShare[] =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, milliseconds]) => ({ name, milliseconds: Math.round(milliseconds), busyShare: milliseconds / busy }));
  return {
    file,
    wallSeconds: window === undefined ? (profile.endTime - profile.startTime) / 1e6 : Math.min(window.to, elapsed / 1000) - window.from,
    ...(window === undefined ? {} : { window }),
    busyShare: total > 0 ? busy / total : 0,
    byLocation: shares(byLocation, top),
    byComponent: shares(byComponent, top),
    topFunctions: shares(byFunction, top),
    sluiceInclusive: shares(inclusive, 10),
  };
}

/**
 * The summary of a process's main thread from a folder of its profiles (one per thread): the
 * profile with the most busy time. Undefined when the folder holds none.
 */
export function summarizeProcessProfiles(directory: string, top = 15, window?: { readonly from: number; readonly to: number }): ProfileSummary | undefined {
  let best: { summary: ProfileSummary; busySeconds: number } | undefined;
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'))) {
    const summary = summarizeProfile(join(directory, file), top, window);
    const busySeconds = summary.wallSeconds * summary.busyShare;
    if (best === undefined || busySeconds > best.busySeconds) best = { summary, busySeconds };
  }
  return best?.summary;
}

/** A markdown rendering of a summary. */
export function profileMarkdown(summary: ProfileSummary, title: string): string {
  const span = summary.window === undefined ? 'the whole process' : `${summary.window.from.toFixed(1)} s to ${summary.window.to.toFixed(1)} s after it started`;
  const table = (heading: string, shares: readonly ProfileShare[]): string[] => [
    `| ${heading} | share of busy time |`,
    '| --- | --- |',
    ...shares.map((share) => `| ${share.name.replaceAll('|', '\\|')} | ${(share.busyShare * 100).toFixed(1)} % |`),
    '',
  ];
  return [
    `#### ${title}`,
    '',
    `${relative(PROJECT_ROOT, summary.file)}, ${span} (${summary.wallSeconds.toFixed(1)} s): the main thread was busy ${(summary.busyShare * 100).toFixed(0)} % of the time (the rest idle, waiting for I/O).`,
    '',
    ...table('component (Node internals charged to their caller)', summary.byComponent),
    ...table('function (self time)', summary.topFunctions),
    ...table("sluice's functions, inclusive time (with what they call synchronously)", summary.sluiceInclusive),
  ].join('\n');
}
