import { describe, expect, it } from 'vitest';
import { findBinlogProblems, isMariaDb } from '../../../../src/sources/mysql/binlog-requirements.js';

const readyMariaDb = {
  version: '10.11.19-MariaDB-0+deb12u1-log',
  log_bin: 'ON',
  binlog_format: 'ROW',
  binlog_row_image: 'FULL',
  binlog_row_metadata: 'FULL',
};

describe('findBinlogProblems', () => {
  it('accepts a MariaDB with a ROW binlog, full images and full metadata (GTIDs are always on)', () => {
    expect(isMariaDb(readyMariaDb)).toBe(true);
    expect(findBinlogProblems(readyMariaDb)).toEqual([]);
  });

  it('names every wrong setting with its fix', () => {
    const problems = findBinlogProblems({ ...readyMariaDb, binlog_format: 'MIXED', binlog_row_image: 'MINIMAL', log_bin: 'OFF' });
    expect(problems.map((problem) => [problem.variable, problem.actual, problem.expected])).toEqual([
      ['log_bin', 'OFF', 'ON'],
      ['binlog_format', 'MIXED', 'ROW'],
      ['binlog_row_image', 'MINIMAL', 'FULL'],
    ]);
    expect(problems[1]?.fix).toContain('binlog_format=ROW');
  });

  it('requires gtid_mode=ON on MySQL only', () => {
    const mysql = { ...readyMariaDb, version: '8.4.3', version_comment: 'MySQL Community Server - GPL', gtid_mode: 'OFF' };
    expect(findBinlogProblems(mysql).map((problem) => problem.variable)).toEqual(['gtid_mode']);
    expect(findBinlogProblems({ ...mysql, gtid_mode: 'ON' })).toEqual([]);
  });

  it('reports a missing variable as not set', () => {
    const { binlog_row_metadata: _omitted, ...older } = readyMariaDb;
    expect(findBinlogProblems(older)).toEqual([expect.objectContaining({ variable: 'binlog_row_metadata', actual: '(not set)' })]);
  });
});
