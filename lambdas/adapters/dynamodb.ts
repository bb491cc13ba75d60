import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { ConflictError, TransientAwsError, AwsRequestError } from '../core/errors';
import type { Cond, IndexRef, Item, ItemStore, KeyedItem, Scalar } from '../ledger/item-store';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';

/**
 * The ledger's storage on DynamoDB: a thin layer over items whose attributes are strings,
 * numbers and booleans (documents are stored as JSON strings). Conditions (values, see
 * ledger/item-store.ts) become condition expressions; conditional writes that lose map to
 * ConflictError; the algorithm lives in lambdas/ledger.
 */
export type { Item, Scalar } from '../ledger/item-store';

const toAttr = (v: Scalar): AttributeValue => (typeof v === 'number' ? { N: String(v) } : typeof v === 'boolean' ? { BOOL: v } : { S: v });

const fromAttr = (a: AttributeValue): Scalar | undefined =>
  a.S !== undefined ? a.S : a.N !== undefined ? Number(a.N) : a.BOOL !== undefined ? a.BOOL : undefined;

const marshal = (item: Record<string, Scalar | undefined>): Record<string, AttributeValue> => {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(item)) if (v !== undefined) out[k] = toAttr(v);
  return out;
};

const unmarshal = (item: Record<string, AttributeValue>): Item => {
  const out: Item = {};
  for (const [k, a] of Object.entries(item)) {
    const v = fromAttr(a);
    if (v !== undefined) out[k] = v;
  }
  return out;
};

interface Expression {
  expression: string;
  names: Record<string, string>;
  values: Record<string, Scalar>;
}

/** Compiles a condition value to a DynamoDB condition expression with its names and values. */
export function compileCondition(cond: Cond, prefix = 'c'): Expression {
  const names: Record<string, string> = {};
  const values: Record<string, Scalar> = {};
  let n = 0;
  const name = (attr: string) => {
    const k = `#${prefix}${n++}`;
    names[k] = attr;
    return k;
  };
  const value = (v: Scalar) => {
    const k = `:${prefix}${n++}`;
    values[k] = v;
    return k;
  };
  const walk = (c: Cond): string => {
    switch (c.op) {
      case 'absent':
        return `attribute_not_exists(${name('pk')})`;
      case 'has':
        return `attribute_exists(${name(c.attr)})`;
      case 'lacks':
        return `attribute_not_exists(${name(c.attr)})`;
      case 'and':
      case 'or':
        if (c.of.length === 0) throw new Error(`an empty ${c.op} condition`);
        return `(${c.of.map(walk).join(c.op === 'and' ? ' AND ' : ' OR ')})`;
      default:
        return `${name(c.attr)} ${c.op} ${value(c.value)}`;
    }
  };
  return { expression: walk(cond), names, values };
}

const THROTTLE = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError']);

function mapError(operation: string, err: unknown): never {
  if (err instanceof ConditionalCheckFailedException) throw new ConflictError(`dynamodb.${operation}: condition failed`, { cause: err });
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; $fault?: string };
  if (e && typeof e === 'object' && 'name' in e) {
    if (THROTTLE.has(e.name ?? '') || (e.$metadata?.httpStatusCode ?? 0) >= 500 || e.name === 'TimeoutError') {
      throw new TransientAwsError('dynamodb', operation, { cause: err });
    }
    if (e.$metadata) throw new AwsRequestError('dynamodb', operation, e.name ?? 'Unknown', { cause: err });
  }
  throw err;
}

export class DynamoStore implements ItemStore {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
  ) {}

  static fromOptions(opts: AwsClientOptions, tableName: string): DynamoStore {
    return new DynamoStore(withPlugins(new DynamoDBClient(clientConfig(opts, 'dynamodb')), opts), tableName);
  }

  async get(pk: string, sk: string): Promise<Item | undefined> {
    try {
      const r = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: marshal({ pk, sk }), ConsistentRead: true }));
      return r.Item ? unmarshal(r.Item) : undefined;
    } catch (e) {
      mapError('GetItem', e);
    }
  }

  /** Throws ConflictError when `condition` does not hold. */
  async put(item: KeyedItem, condition?: Cond): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshal(item),
          ...(condition ? this.cond(condition) : {}),
        }),
      );
    } catch (e) {
      mapError('PutItem', e);
    }
  }

  /** SET the given attributes (and REMOVE those given as undefined); returns the new item. */
  async update(pk: string, sk: string, set: Record<string, Scalar | undefined>, condition?: Cond, add?: Record<string, number>): Promise<Item> {
    const compiled = condition ? compileCondition(condition) : undefined;
    const names: Record<string, string> = { ...(compiled?.names ?? {}) };
    const values: Record<string, AttributeValue> = marshal(compiled?.values ?? {});
    const sets: string[] = [];
    const removes: string[] = [];
    let i = 0;
    for (const [k, v] of Object.entries(set)) {
      const n = `#u${i}`;
      names[n] = k;
      if (v === undefined) removes.push(n);
      else {
        values[`:u${i}`] = toAttr(v);
        sets.push(`${n} = :u${i}`);
      }
      i++;
    }
    const adds: string[] = [];
    for (const [k, v] of Object.entries(add ?? {})) {
      names[`#a${i}`] = k;
      values[`:a${i}`] = toAttr(v);
      adds.push(`#a${i} :a${i}`);
      i++;
    }
    const expr = [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
      adds.length ? `ADD ${adds.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    try {
      const r = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshal({ pk, sk }),
          UpdateExpression: expr,
          ExpressionAttributeNames: names,
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          ...(compiled ? { ConditionExpression: compiled.expression } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return unmarshal(r.Attributes ?? {});
    } catch (e) {
      mapError('UpdateItem', e);
    }
  }

  async delete(pk: string, sk: string, condition?: Cond): Promise<void> {
    try {
      await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: marshal({ pk, sk }), ...(condition ? this.cond(condition) : {}) }));
    } catch (e) {
      mapError('DeleteItem', e);
    }
  }

  /** All items of a partition (optionally whose sk begins with a prefix), following pages. */
  async query(pk: string, skPrefix?: string, index?: IndexRef): Promise<Item[]> {
    const out: Item[] = [];
    let start: Record<string, AttributeValue> | undefined;
    const pkAttr = index?.pkAttr ?? 'pk';
    do {
      try {
        const r = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            ...(index ? { IndexName: index.name } : { ConsistentRead: true }),
            KeyConditionExpression: skPrefix && !index ? '#pk = :pk AND begins_with(#sk, :sk)' : '#pk = :pk',
            ExpressionAttributeNames: skPrefix && !index ? { '#pk': pkAttr, '#sk': 'sk' } : { '#pk': pkAttr },
            ExpressionAttributeValues: marshal(skPrefix && !index ? { ':pk': pk, ':sk': skPrefix } : { ':pk': pk }),
            ExclusiveStartKey: start,
          }),
        );
        for (const it of r.Items ?? []) out.push(unmarshal(it));
        start = r.LastEvaluatedKey;
      } catch (e) {
        mapError('Query', e);
      }
    } while (start);
    return out;
  }

  private cond(c: Cond) {
    const { expression, names, values } = compileCondition(c);
    return {
      ConditionExpression: expression,
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ...(Object.keys(values).length ? { ExpressionAttributeValues: marshal(values) } : {}),
    };
  }
}
