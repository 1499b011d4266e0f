/**
 * Kafka consumer-group names of a pipeline. The sink and the commands that manage its offsets
 * (`sluice replay`) take the names from here, so they always agree.
 */

/**
 * The consumer group of a pipeline's sink (change topics -> Elasticsearch): `<pipeline>.sink`.
 * Its committed offsets say where the sink resumes; `sluice replay` moves them.
 */
export function sinkGroupId(pipeline: string): string {
  return `${pipeline}.sink`;
}
