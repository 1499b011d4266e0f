import { readFileSync } from 'node:fs';

/** The version of sluice, read from its package.json (one directory above src/ and dist/). */
export const SLUICE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
