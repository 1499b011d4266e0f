import { describe, expect, it } from 'vitest';
import {
  advanceGtidPosition,
  formatGtidPosition,
  gtidPositionReached,
  isMariaDbGtid,
  parseGtidPosition,
} from '../../../../src/sources/mysql/gtid-position.js';

describe('parseGtidPosition', () => {
  it('maps each replication domain to its last GTID', () => {
    expect([...parseGtidPosition('0-1-42,1-5-7')]).toEqual([
      ['0', '0-1-42'],
      ['1', '1-5-7'],
    ]);
  });

  it('ignores blanks around entries and empty entries', () => {
    expect([...parseGtidPosition(' 0-1-42 , ,1-5-7,')]).toEqual([
      ['0', '0-1-42'],
      ['1', '1-5-7'],
    ]);
  });

  it('reads an empty position (a server that never wrote a transaction) as no domain at all', () => {
    expect(parseGtidPosition('').size).toBe(0);
    expect(parseGtidPosition('  ').size).toBe(0);
  });

  it('keeps the later entry when a domain appears twice', () => {
    expect(parseGtidPosition('0-1-42,0-2-50').get('0')).toBe('0-2-50');
  });
});

describe('formatGtidPosition', () => {
  it('orders domains by number, not as text', () => {
    const position = new Map([
      ['10', '10-1-3'],
      ['2', '2-1-9'],
      ['0', '0-1-42'],
    ]);
    expect(formatGtidPosition(position)).toBe('0-1-42,2-1-9,10-1-3');
  });

  it('formats an empty position as an empty string', () => {
    expect(formatGtidPosition(new Map())).toBe('');
  });

  it('round-trips a parsed position', () => {
    expect(formatGtidPosition(parseGtidPosition('0-1-42,1-5-7,3-2-100'))).toBe('0-1-42,1-5-7,3-2-100');
  });
});

describe('advanceGtidPosition', () => {
  it("moves only the transaction's domain to its GTID", () => {
    expect(advanceGtidPosition('0-1-42,1-5-7', '0-1-43')).toBe('0-1-43,1-5-7');
    expect(advanceGtidPosition('0-1-42,1-5-7', '1-5-8')).toBe('0-1-42,1-5-8');
  });

  it('takes the server id of the new GTID', () => {
    expect(advanceGtidPosition('0-1-42', '0-2-43')).toBe('0-2-43');
  });

  it('adds a domain not seen before, in domain order', () => {
    expect(advanceGtidPosition('0-1-42,5-1-3', '2-7-1')).toBe('0-1-42,2-7-1,5-1-3');
    expect(advanceGtidPosition('0-1-42', '11-1-1')).toBe('0-1-42,11-1-1');
  });

  it('starts from an empty position', () => {
    expect(advanceGtidPosition('', '0-1-1')).toBe('0-1-1');
  });

  it('gives for a one-domain position (its shortcut) the text of parsing, setting and formatting', () => {
    const positions = ['', ' ', '0-1-42', ' 0-1-42 ', '1-1-42', '10-3-7', '0-1-42,', '10-1-1', '1-1-1'];
    const gtids = ['0-1-43', '0-2-1', '1-1-43', '10-3-8', '01-1-1'];
    for (const position of positions) {
      for (const gtid of gtids) {
        const parsed = parseGtidPosition(position);
        parsed.set(gtid.split('-')[0] ?? '', gtid);
        expect(advanceGtidPosition(position, gtid), `${JSON.stringify(position)} + ${gtid}`).toBe(formatGtidPosition(parsed));
      }
    }
  });
});

describe('isMariaDbGtid', () => {
  it('accepts domain-server-sequence', () => {
    expect(isMariaDbGtid('0-1-42')).toBe(true);
    expect(isMariaDbGtid('4294967295-4294967295-18446744073709551615')).toBe(true);
  });

  it('rejects MySQL GTIDs, positions and partial or padded GTIDs', () => {
    expect(isMariaDbGtid('3e11fa47-71ca-11e1-9e33-c80aa9429562:23')).toBe(false);
    expect(isMariaDbGtid('0-1-42,1-5-7')).toBe(false);
    expect(isMariaDbGtid('0-1')).toBe(false);
    expect(isMariaDbGtid(' 0-1-42')).toBe(false);
    expect(isMariaDbGtid('0-1-42x')).toBe(false);
    expect(isMariaDbGtid('')).toBe(false);
  });
});

describe('MySQL GTID sets', () => {
  const uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562';

  it('advances a MySQL executed set by adding the transaction', () => {
    expect(advanceGtidPosition(`${uuid}:1-5`, `${uuid}:6`)).toBe(`${uuid}:1-6`);
    expect(advanceGtidPosition('', `${uuid}:1`)).toBe(`${uuid}:1`);
  });

  it('is reached when every interval of the target is in the current set', () => {
    expect(gtidPositionReached(`${uuid}:1-10`, `${uuid}:1-7`)).toBe(true);
    expect(gtidPositionReached(`${uuid}:1-6`, `${uuid}:1-7`)).toBe(false);
    expect(gtidPositionReached(`${uuid}:1-10`, `${uuid}:1-7,${uuid.replace('3e', '4f')}:1`)).toBe(false);
  });
});

describe('gtidPositionReached', () => {
  it('treats a malformed sequence as not reached instead of throwing', () => {
    expect(gtidPositionReached('0-1-x', '0-1-2')).toBe(false);
  });

  it('compares sequence numbers within the same domain', () => {
    expect(gtidPositionReached('0-1-41', '0-1-42')).toBe(false);
    expect(gtidPositionReached('0-1-42', '0-1-42')).toBe(true);
    expect(gtidPositionReached('0-1-43', '0-1-42')).toBe(true);
  });

  it('compares sequences as numbers, not as text', () => {
    expect(gtidPositionReached('0-1-9', '0-1-10')).toBe(false);
    expect(gtidPositionReached('0-1-10', '0-1-9')).toBe(true);
  });

  it('compares sequences beyond 2^53 exactly', () => {
    expect(gtidPositionReached('0-1-9007199254740992', '0-1-9007199254740993')).toBe(false);
    expect(gtidPositionReached('0-1-9007199254740993', '0-1-9007199254740993')).toBe(true);
  });

  it('is not reached while a domain of the target is missing from the current position', () => {
    expect(gtidPositionReached('0-1-100', '0-1-5,1-1-1')).toBe(false);
    expect(gtidPositionReached('', '0-1-1')).toBe(false);
  });

  it('needs every domain of the target to be reached', () => {
    expect(gtidPositionReached('0-1-50,1-5-7', '0-1-42,1-5-7')).toBe(true);
    expect(gtidPositionReached('0-1-50,1-5-6', '0-1-42,1-5-7')).toBe(false);
  });

  it('ignores domains of the current position the target does not name', () => {
    expect(gtidPositionReached('0-1-42,1-5-7,2-1-1', '1-5-7')).toBe(true);
  });

  it('decides by sequence when the server id differs within the same domain', () => {
    expect(gtidPositionReached('0-2-43', '0-1-42')).toBe(true);
    expect(gtidPositionReached('0-1-43', '0-2-42')).toBe(true);
    expect(gtidPositionReached('0-2-41', '0-1-42')).toBe(false);
  });

  it('treats an empty target as reached', () => {
    expect(gtidPositionReached('0-1-42', '')).toBe(true);
    expect(gtidPositionReached('', '')).toBe(true);
  });
});
