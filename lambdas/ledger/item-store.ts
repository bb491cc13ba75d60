/**
 * The storage under the ledger and the guardrails' state: items of string, number and boolean
 * attributes (documents are JSON strings), keyed by `pk`/`sk`, written under conditions.
 *
 * Conditions are values, not expression strings, so that the same ledger code runs on DynamoDB
 * (the DynamoDB adapter compiles them to condition expressions) and in memory (this file, for
 * the benches and fast tests). Semantics follow DynamoDB's: a comparison on a missing attribute
 * is false; `absent` means the item does not exist. A write whose condition does not hold throws
 * ConflictError and changes nothing.
 */
import { ConflictError } from '../core/errors';

export type Scalar = string | number | boolean;
export type Item = Record<string, Scalar>;
export type KeyedItem = Item & { pk: string; sk: string };

export type Comparison = '=' | '<' | '<=' | '>' | '>=';

export type Cond =
  /** The item does not exist. */
  | { op: 'absent' }
  | { op: 'has'; attr: string }
  | { op: 'lacks'; attr: string }
  | { op: Comparison; attr: string; value: Scalar }
  | { op: 'and' | 'or'; of: Cond[] };

export const absent = (): Cond => ({ op: 'absent' });
export const has = (attr: string): Cond => ({ op: 'has', attr });
export const lacks = (attr: string): Cond => ({ op: 'lacks', attr });
export const eq = (attr: string, value: Scalar): Cond => ({ op: '=', attr, value });
export const lt = (attr: string, value: Scalar): Cond => ({ op: '<', attr, value });
export const lte = (attr: string, value: Scalar): Cond => ({ op: '<=', attr, value });
export const gt = (attr: string, value: Scalar): Cond => ({ op: '>', attr, value });
export const and = (...of: Cond[]): Cond => ({ op: 'and', of });
export const or = (...of: Cond[]): Cond => ({ op: 'or', of });

/** A global secondary index: items whose `pkAttr` equals the queried value, sorted by `skAttr`. */
export interface IndexRef {
  name: string;
  pkAttr: string;
  skAttr: string;
}

export interface ItemStore {
  get(pk: string, sk: string): Promise<Item | undefined>;
  /** Throws ConflictError when `cond` does not hold. */
  put(item: KeyedItem, cond?: Cond): Promise<void>;
  /** SETs the given attributes (REMOVEs those given as undefined), ADDs `add`; returns the new item. */
  update(pk: string, sk: string, set: Record<string, Scalar | undefined>, cond?: Cond, add?: Record<string, number>): Promise<Item>;
  delete(pk: string, sk: string, cond?: Cond): Promise<void>;
  /** Every item of a partition (whose sk begins with `skPrefix`, when given), by sk; or of an index value. */
  query(pk: string, skPrefix?: string, index?: IndexRef): Promise<Item[]>;
}

function compare(a: Scalar, op: Comparison, b: Scalar): boolean {
  if (typeof a !== typeof b) return false;
  switch (op) {
    case '=':
      return a === b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** Evaluates a condition on an item as DynamoDB would (`undefined`: the item does not exist). */
export function holds(cond: Cond, item: Item | undefined): boolean {
  switch (cond.op) {
    case 'absent':
      return item === undefined;
    case 'has':
      return item?.[cond.attr] !== undefined;
    case 'lacks':
      return item?.[cond.attr] === undefined;
    case 'and':
      return cond.of.every((c) => holds(c, item));
    case 'or':
      return cond.of.some((c) => holds(c, item));
    default: {
      const v = item?.[cond.attr];
      return v !== undefined && compare(v, cond.op, cond.value);
    }
  }
}

/** The ledger's table in memory: the same contract as DynamoDB's, with no network. */
export class MemoryItemStore implements ItemStore {
  private readonly items = new Map<string, Item>();
  /** Operations answered, by kind (the benches count round trips with these). */
  readonly ops: Record<string, number> = {};

  private key = (pk: string, sk: string) => `${pk}\u0000${sk}`;

  /** Items held. */
  get size(): number {
    return this.items.size;
  }

  private count(op: string): void {
    this.ops[op] = (this.ops[op] ?? 0) + 1;
  }

  private check(cond: Cond | undefined, current: Item | undefined, what: string): void {
    if (cond && !holds(cond, current)) throw new ConflictError(`memory.${what}: condition failed`);
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    this.count('GetItem');
    const it = this.items.get(this.key(pk, sk));
    return it ? { ...it } : undefined;
  }

  async put(item: KeyedItem, cond?: Cond): Promise<void> {
    this.count('PutItem');
    const k = this.key(item.pk, item.sk);
    this.check(cond, this.items.get(k), 'PutItem');
    this.items.set(k, { ...item });
  }

  async update(pk: string, sk: string, set: Record<string, Scalar | undefined>, cond?: Cond, add?: Record<string, number>): Promise<Item> {
    this.count('UpdateItem');
    const k = this.key(pk, sk);
    const current = this.items.get(k);
    this.check(cond, current, 'UpdateItem');
    const next: Item = { ...(current ?? { pk, sk }) };
    for (const [a, v] of Object.entries(set)) {
      if (v === undefined) delete next[a];
      else next[a] = v;
    }
    for (const [a, v] of Object.entries(add ?? {})) next[a] = Number(next[a] ?? 0) + v;
    this.items.set(k, next);
    return { ...next };
  }

  async delete(pk: string, sk: string, cond?: Cond): Promise<void> {
    this.count('DeleteItem');
    const k = this.key(pk, sk);
    this.check(cond, this.items.get(k), 'DeleteItem');
    this.items.delete(k);
  }

  async query(pk: string, skPrefix?: string, index?: IndexRef): Promise<Item[]> {
    this.count('Query');
    const out: Item[] = [];
    for (const it of this.items.values()) {
      if (index) {
        if (it[index.pkAttr] === pk && it[index.skAttr] !== undefined) out.push({ ...it });
      } else if (it.pk === pk && (skPrefix === undefined || String(it.sk).startsWith(skPrefix))) {
        out.push({ ...it });
      }
    }
    const sortKey = index?.skAttr ?? 'sk';
    return out.sort((a, b) => (String(a[sortKey]) < String(b[sortKey]) ? -1 : String(a[sortKey]) > String(b[sortKey]) ? 1 : 0));
  }
}
