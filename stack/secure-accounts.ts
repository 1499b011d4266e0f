/**
 * The accounts the stack makes for its TLS and SASL endpoints, for tests and for trying sluice's
 * `kafka.ssl`/`kafka.sasl` and MySQL TLS settings against the local stack. Throwaway secrets of
 * a loopback-only test stack, never for anything else.
 */
export const STACK_SECURE_ACCOUNTS = {
  /** A Kafka user for SASL/SCRAM (SHA-256 and SHA-512) on the SASL_SSL listener. */
  kafkaScram: { username: 'sluice-scram', password: 'sluice-scram-secret' },
  /** A Kafka user for SASL/PLAIN on the SASL_SSL listener. */
  kafkaPlain: { username: 'sluice-plain', password: 'sluice-plain-secret' },
  /** A MariaDB account that must connect with TLS (REQUIRE SSL), with the `sluice` account's privileges. */
  mysqlTls: { username: 'sluice_tls', password: 'sluice-tls-secret' },
} as const;
