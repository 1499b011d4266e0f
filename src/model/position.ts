/**
 * A source position as it is stored in the position topic: a JSON object that the source encodes
 * from its own position type and decodes back (see CdcSource.encodePosition). The runner adds its
 * own fields beside the source's (version, snapshotCompleted, savedAtMs, incremental), so a
 * source's fields must not use those names.
 */
export type EncodedPosition = { readonly [field: string]: unknown };

/** The fields the capture runner keeps beside a source's position in the position topic. */
export const RUNNER_POSITION_FIELDS = ['version', 'snapshotCompleted', 'savedAtMs', 'incremental'] as const;
