import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../src/errors.js';
import { mysqlConnectionOptions, redactUrl } from '../../../../src/sources/mysql/connection-options.js';

describe('mysqlConnectionOptions', () => {
  it('reads host, port, credentials and database, with exact numbers and UTC', () => {
    expect(mysqlConnectionOptions('mysql://us%40er:p%3Ass@db.local:3307/shop')).toMatchObject({
      host: 'db.local',
      port: 3307,
      user: 'us@er',
      password: 'p:ss',
      database: 'shop',
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
  });

  it('defaults the port to 3306 and leaves the database unset', () => {
    const options = mysqlConnectionOptions('mysql://root@localhost');
    expect(options.port).toBe(3306);
    expect(options).not.toHaveProperty('database');
  });

  it('rejects other schemes with the fix, without echoing the password', () => {
    try {
      mysqlConnectionOptions('postgres://u:secret@h/db');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).message).not.toContain('secret');
      expect((error as ConfigurationError).fix).toContain('mysql://');
    }
  });

  it('redacts passwords', () => {
    expect(redactUrl('mysql://u:secret@h:1/db')).toBe('mysql://u:***@h:1/db');
    expect(redactUrl('mysql://u@h')).toBe('mysql://u@h');
  });
});
