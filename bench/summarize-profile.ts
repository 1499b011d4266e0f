/**
 * Prints the summary of a process's CPU profiles (`node --cpu-prof --cpu-prof-dir=DIR ...`),
 * optionally of a window of seconds after the process started (capture-rate.ts prints its capture's).
 * Usage: npx tsx bench/summarize-profile.ts DIR [FROM TO] [TOP]
 */
import { profileMarkdown, summarizeProcessProfiles } from './lib/cpu-profile.js';

const [directory, from, to, top] = process.argv.slice(2);
if (directory === undefined) {
  console.error('usage: npx tsx bench/summarize-profile.ts DIR [FROM TO] [TOP]');
  process.exit(2);
}
const window = from !== undefined && to !== undefined ? { from: Number(from), to: Number(to) } : undefined;
const summary = summarizeProcessProfiles(directory, Number(top ?? 25), window);
if (summary === undefined) {
  console.error(`no .cpuprofile file in ${directory}`);
  process.exit(1);
}
process.stdout.write(`${profileMarkdown(summary, `CPU profile of ${directory}`)}\n`);
