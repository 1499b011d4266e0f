/**
 * Kafka topic names of a pipeline. Characters Kafka does not allow in topic names
 * ([a-zA-Z0-9._-] only) are replaced by '_'.
 */
export function sanitizeTopicPart(part: string): string {
  return part.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** The change topic of one table: `<prefix>.<db>.<table>`. */
export function changeTopic(prefix: string, db: string, table: string): string {
  return `${prefix}.${sanitizeTopicPart(db)}.${sanitizeTopicPart(table)}`;
}

/** The compacted topic holding every writer schema, keyed by schema id: `<prefix>.__schemas`. */
export function schemaTopic(prefix: string): string {
  return `${prefix}.__schemas`;
}

/** The compacted topic holding the sources' positions: `<prefix>.__positions`. */
export function positionTopic(prefix: string): string {
  return `${prefix}.__positions`;
}

/** The topic where snapshot requests reach a running source: `<prefix>.__signals`. */
export function signalTopic(prefix: string): string {
  return `${prefix}.__signals`;
}

/** The topic of the sink's dead letters (rejected documents, undecodable messages): `<prefix>.__dead_letters`. */
export function deadLetterTopic(prefix: string): string {
  return `${prefix}.__dead_letters`;
}
