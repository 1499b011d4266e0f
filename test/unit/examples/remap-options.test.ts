import { describe, expect, it } from 'vitest';
import { remapOptions, REMAP_DEFAULTS } from '../../../examples/sakila/remap-options.js';

describe('the options of npm run demo:mapping-change', () => {
  it('has defaults, takes each option, and refuses bad values naming the option', () => {
    expect(remapOptions([])).toEqual({ ...REMAP_DEFAULTS, report: undefined });
    expect(remapOptions(['--films', '2000', '--rate', '50', '--duration', '2', '--name', 'remap_1', '--report', '/tmp/x.json'])).toEqual({
      name: 'remap_1',
      films: 2000,
      rate: 50,
      durationSeconds: 2,
      report: '/tmp/x.json',
    });
    expect(remapOptions(['--duration=3']).durationSeconds).toBe(3);
    expect(() => remapOptions(['--films', '999'])).toThrow(/--films 999: use a whole number from 1000 to 100000/);
    expect(() => remapOptions(['--rate', '2.5'])).toThrow(/--rate 2.5/);
    expect(() => remapOptions(['--name', 'Bad-Name'])).toThrow(/--name Bad-Name/);
    expect(() => remapOptions(['--speed', '3'])).toThrow(/speed/);
  });
});
