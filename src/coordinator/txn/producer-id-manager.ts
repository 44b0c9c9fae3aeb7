/**
 * ProducerIdManager: hands out producer ids that are unique across the cluster and across restarts,
 * for idempotent and transactional producers alike. Ids come in blocks of PRODUCER_ID_BLOCK_SIZE
 * (Kafka's 1000) reserved through the controller's coordination backend
 * (`Controller.allocateProducerIdBlock`: ZooKeeper's `/latest_producer_id_block` with a conditional
 * write, or the embedded/KRaft controller's durable metadata document); a block is used up by this
 * broker alone, and a restart starts a new block, so no id is ever handed out twice.
 *
 * Allocation of the next block is serialised (one in flight); callers waiting meanwhile share it.
 */
import type { ProducerIdBlock } from '../../cluster/controller.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;

export interface ProducerIdBlockSource {
  allocateProducerIdBlock?(brokerId: number, size: number): Promise<ProducerIdBlock>;
}

export class ProducerIdAllocationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProducerIdAllocationError';
  }
}

export class ProducerIdManager {
  #next = 0n;
  #end = 0n; // exclusive
  #refill: Promise<void> | null = null;

  constructor(
    private readonly brokerId: number,
    private readonly source: ProducerIdBlockSource,
  ) {}

  /** The next id; rejects (ProducerIdAllocationError) when no block can be reserved now (retriable). */
  async generate(): Promise<bigint> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.#next < this.#end) return this.#next++;
      this.#refill ??= this.#allocate().finally(() => {
        this.#refill = null;
      });
      await this.#refill;
    }
    throw new ProducerIdAllocationError('producer id blocks were used up by concurrent callers; retry');
  }

  async #allocate(): Promise<void> {
    const allocate = this.source.allocateProducerIdBlock?.bind(this.source);
    if (!allocate) throw new ProducerIdAllocationError('this controller cannot allocate producer id blocks');
    let block: ProducerIdBlock;
    try {
      block = await allocate(this.brokerId, PRODUCER_ID_BLOCK_SIZE);
    } catch (err) {
      throw new ProducerIdAllocationError(`reserving a producer id block failed: ${(err as Error).message}`, { cause: err });
    }
    this.#next = block.firstProducerId;
    this.#end = block.firstProducerId + BigInt(block.size);
  }
}
