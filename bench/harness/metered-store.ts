import { performance } from 'node:perf_hooks';
import { ConflictError } from '../../lambdas/core/errors';
import { MemoryItemStore, type Cond, type IndexRef, type ItemStore, type KeyedItem, type Scalar } from '../../lambdas/ledger/item-store';

/**
 * The ledger's table in memory for the benches: the engine's own MemoryItemStore, each request
 * counted and timed like a service call (and, in round-trip mode, answered a macrotask later),
 * so memory and dynalite runs compare call for call.
 */
export class MeteredStore implements ItemStore {
  private inner = new MemoryItemStore();

  constructor(
    private readonly begin: (service: string, operation: string) => () => Promise<void>,
    private readonly answered: (ms: number) => void,
    private readonly lost: () => void,
  ) {}

  reset(): void {
    this.inner = new MemoryItemStore();
  }

  size(): number {
    return this.inner.size;
  }

  private async call<T>(operation: string, f: () => Promise<T>): Promise<T> {
    const done = this.begin('DynamoDB', operation);
    const t0 = performance.now();
    try {
      return await f();
    } catch (e) {
      if (e instanceof ConflictError) this.lost();
      throw e;
    } finally {
      this.answered(performance.now() - t0);
      await done();
    }
  }

  get(pk: string, sk: string) {
    return this.call('GetItem', () => this.inner.get(pk, sk));
  }

  put(item: KeyedItem, cond?: Cond) {
    return this.call('PutItem', () => this.inner.put(item, cond));
  }

  update(pk: string, sk: string, set: Record<string, Scalar | undefined>, cond?: Cond, add?: Record<string, number>) {
    return this.call('UpdateItem', () => this.inner.update(pk, sk, set, cond, add));
  }

  delete(pk: string, sk: string, cond?: Cond) {
    return this.call('DeleteItem', () => this.inner.delete(pk, sk, cond));
  }

  query(pk: string, skPrefix?: string, index?: IndexRef) {
    return this.call('Query', () => this.inner.query(pk, skPrefix, index));
  }
}
