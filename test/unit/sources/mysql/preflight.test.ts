import { describe, expect, it } from 'vitest';
import { missingReplicationPrivileges } from '../../../../src/sources/mysql/preflight.js';

const both = ['REPLICATION SLAVE', 'REPLICATION CLIENT'];

describe('missingReplicationPrivileges', () => {
  it('reads only the privilege list, not a user named like a privilege', () => {
    expect(missingReplicationPrivileges(['GRANT REPLICATION SLAVE ON *.* TO `super`@`%`'])).toEqual(['REPLICATION CLIENT']);
  });

  it('accepts MySQL 8.4 REPLICATION REPLICA wording', () => {
    expect(missingReplicationPrivileges(['GRANT REPLICATION REPLICA, REPLICATION CLIENT ON *.* TO `u`@`%`'])).toEqual([]);
  });

  describe('with MariaDB 10.11 grants', () => {
    it('accepts ALL PRIVILEGES on *.*', () => {
      expect(
        missingReplicationPrivileges([
          "GRANT ALL PRIVILEGES ON *.* TO `sluice`@`%` IDENTIFIED BY PASSWORD '*D1ED3B5E0B0F9B2B4F1B4E4B7A6E2B3C4D5E6F70' WITH GRANT OPTION",
        ]),
      ).toEqual([]);
    });

    it('accepts BINLOG MONITOR (the 10.5+ name of REPLICATION CLIENT) with REPLICATION SLAVE', () => {
      expect(missingReplicationPrivileges(['GRANT BINLOG MONITOR, REPLICATION SLAVE ON *.* TO `repl`@`%`'])).toEqual([]);
    });

    it('accepts SUPER in place of REPLICATION CLIENT', () => {
      expect(missingReplicationPrivileges(['GRANT SUPER, REPLICATION SLAVE ON *.* TO `repl`@`%`'])).toEqual([]);
    });

    it('still asks for REPLICATION SLAVE when only SUPER is granted', () => {
      // SUPER does not allow a binlog dump: the server checks REPLICATION SLAVE alone for it.
      expect(missingReplicationPrivileges(['GRANT SUPER ON *.* TO `repl`@`%`'])).toEqual(['REPLICATION SLAVE']);
    });

    it('names both privileges for a user that may only read', () => {
      expect(
        missingReplicationPrivileges([
          "GRANT SELECT ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'",
        ]),
      ).toEqual(both);
    });

    it('names REPLICATION CLIENT alone when only REPLICATION SLAVE is granted', () => {
      expect(missingReplicationPrivileges(['GRANT REPLICATION SLAVE ON *.* TO `repl`@`%`'])).toEqual(['REPLICATION CLIENT']);
    });

    it('combines the privileges of several global grant lines', () => {
      expect(
        missingReplicationPrivileges(['GRANT REPLICATION SLAVE ON *.* TO `repl`@`%`', 'GRANT BINLOG MONITOR ON *.* TO `repl`@`%`']),
      ).toEqual([]);
    });

    it('does not count privileges granted on one database only', () => {
      expect(
        missingReplicationPrivileges([
          'GRANT USAGE ON *.* TO `u`@`%`',
          'GRANT ALL PRIVILEGES ON `sakila`.* TO `u`@`%`',
          'GRANT SELECT, INSERT ON `sakila`.`film` TO `u`@`%`',
        ]),
      ).toEqual(both);
      expect(
        missingReplicationPrivileges([
          'GRANT REPLICATION SLAVE ON *.* TO `u`@`%`',
          'GRANT ALL PRIVILEGES ON `sakila`.* TO `u`@`%`',
        ]),
      ).toEqual(['REPLICATION CLIENT']);
    });
  });

  describe('with MySQL 8 grants', () => {
    it('accepts REPLICATION SLAVE with REPLICATION CLIENT', () => {
      expect(
        missingReplicationPrivileges([
          'GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `sluice`@`%`',
        ]),
      ).toEqual([]);
    });

    it('accepts the REPLICATION REPLICA wording of MySQL 8.4', () => {
      expect(missingReplicationPrivileges(['GRANT REPLICATION REPLICA, REPLICATION CLIENT ON *.* TO `sluice`@`%`'])).toEqual([]);
    });

    it('does not mistake the REPLICATION_SLAVE_ADMIN dynamic privilege for REPLICATION SLAVE', () => {
      expect(
        missingReplicationPrivileges([
          'GRANT REPLICATION CLIENT ON *.* TO `sluice`@`%`',
          'GRANT REPLICATION_SLAVE_ADMIN,BINLOG_ADMIN ON *.* TO `sluice`@`%`',
        ]),
      ).toEqual(['REPLICATION SLAVE']);
    });

    it('names both privileges for a user with USAGE only', () => {
      expect(missingReplicationPrivileges(['GRANT USAGE ON *.* TO `u`@`localhost`'])).toEqual(both);
    });
  });

  it('names both privileges when there are no grants at all', () => {
    expect(missingReplicationPrivileges([])).toEqual(both);
  });

  it('reads grant lines whatever their case', () => {
    expect(missingReplicationPrivileges(['grant replication slave, replication client on *.* to `u`@`%`'])).toEqual([]);
  });
});
