import { SluiceError } from '../../errors.js';
import type { StoredEpoch, VersionEpoch, VersionEpochStore } from '../../descriptors/version-clock.js';
import type { SearchEngine } from '../engine/search-engine.js';

/** The index that holds every pipeline's version epoch (one document per pipeline, id = the pipeline name). */
export const VERSION_EPOCH_INDEX = 'sluice-version-epochs';

/**
 * The version epoch of a pipeline kept in the search engine, next to the versions it protects (a
 * restore of the cluster restores both together). Compare-and-set uses the document's sequence
 * number and primary term (`if_seq_no` / `if_primary_term`), creation uses `op_type: create`, so
 * concurrent sink processes never overwrite each other's epoch.
 */
export class ElasticsearchVersionEpochStore implements VersionEpochStore {
  private indexReady = false;

  constructor(
    private readonly engine: SearchEngine,
    private readonly pipeline: string,
    private readonly index: string = VERSION_EPOCH_INDEX,
  ) {}

  async read(): Promise<StoredEpoch | undefined> {
    await this.ensureIndex();
    try {
      const response = await this.engine.get<VersionEpoch>(this.index, this.pipeline);
      if (response === undefined) return undefined;
      return { value: response._source, revision: `${String(response._seq_no)}:${String(response._primary_term)}` };
    } catch (error) {
      throw new SluiceError(`cannot read the version epoch of pipeline ${this.pipeline}`, { retriable: true, cause: error, context: { index: this.index } });
    }
  }

  async compareAndSet(expected: StoredEpoch | undefined, next: VersionEpoch): Promise<StoredEpoch | undefined> {
    await this.ensureIndex();
    const condition =
      expected === undefined
        ? { create: true as const }
        : { ifSeqNo: Number(expected.revision.split(':')[0]), ifPrimaryTerm: Number(expected.revision.split(':')[1]) };
    try {
      const response = await this.engine.putDocument(this.index, this.pipeline, { ...next }, condition);
      if (response === 'conflict') return undefined;
      return { value: next, revision: `${String(response._seq_no)}:${String(response._primary_term)}` };
    } catch (error) {
      throw new SluiceError(`cannot write the version epoch of pipeline ${this.pipeline}`, { retriable: true, cause: error, context: { index: this.index } });
    }
  }

  private async ensureIndex(): Promise<void> {
    if (this.indexReady) return;
    try {
      await this.engine.createIndex(this.index, {
        settings: { number_of_shards: 1, 'index.auto_expand_replicas': '0-1' },
        mappings: { dynamic: false, properties: { epoch: { type: 'long' } } },
      });
    } catch (error) {
      throw new SluiceError(`cannot create the index ${this.index}`, { retriable: true, cause: error, context: { index: this.index } });
    }
    this.indexReady = true;
  }
}
