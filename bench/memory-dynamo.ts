import { ConditionalCheckFailedException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Pluggable } from '@smithy/types';

/**
 * The ledger's table in memory, for the benches: a middleware in the DynamoDB client's stack
 * that answers GetItem, PutItem, UpdateItem, DeleteItem and Query from a map instead of sending
 * them. The ledger (lambdas/ledger) keeps its whole code path, DynamoStore and the SDK commands
 * included; only the HTTP hop and the server are gone. It understands what DynamoStore sends:
 * condition expressions with AND / OR / NOT, comparisons, attribute_exists,
 * attribute_not_exists and begins_with; update expressions with SET, REMOVE and ADD; key
 * conditions `#pk = :pk [AND begins_with(#sk, :sk)]` on the table or a global secondary index.
 * A failed condition throws the SDK's own ConditionalCheckFailedException, as DynamoDB does.
 */

type Item = Record<string, AttributeValue>;
type Names = Record<string, string> | undefined;
type Values = Record<string, AttributeValue> | undefined;

// ------------------------------------------------------------------ expressions

type Node =
  | { k: 'or' | 'and'; a: Node; b: Node }
  | { k: 'not'; a: Node }
  | { k: 'cmp'; op: string; a: Operand; b: Operand }
  | { k: 'fn'; name: string; args: Operand[] };
type Operand = { k: 'path'; name: string } | { k: 'value'; name: string };

const TOKEN = /\s*(<>|<=|>=|=|<|>|\(|\)|,|[#:]?[A-Za-z_][A-Za-z0-9_.]*)/y;

function tokenize(s: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    const at = TOKEN.lastIndex;
    if (s.slice(at).trim() === '') return out;
    const m = TOKEN.exec(s);
    if (!m) throw new Error(`memory dynamo: cannot read expression at "${s.slice(at)}"`);
    out.push(m[1]!);
  }
}

function parseCondition(s: string): Node {
  const t = tokenize(s);
  let i = 0;
  const peek = () => t[i];
  const take = (want?: string) => {
    const v = t[i++];
    if (v === undefined || (want !== undefined && v.toUpperCase() !== want)) throw new Error(`memory dynamo: expected ${want ?? 'a token'} in "${s}"`);
    return v;
  };
  const operand = (): Operand => {
    const v = take();
    return v.startsWith(':') ? { k: 'value', name: v } : { k: 'path', name: v };
  };
  const primary = (): Node => {
    if (peek() === '(') {
      take();
      const n = or();
      take(')');
      return n;
    }
    if (peek()?.toUpperCase() === 'NOT') {
      take();
      return { k: 'not', a: primary() };
    }
    if (t[i + 1] === '(') {
      const name = take().toLowerCase();
      take('(');
      const args = [operand()];
      while (peek() === ',') {
        take();
        args.push(operand());
      }
      take(')');
      return { k: 'fn', name, args };
    }
    const a = operand();
    const op = take();
    return { k: 'cmp', op, a, b: operand() };
  };
  const and = (): Node => {
    let n = primary();
    while (peek()?.toUpperCase() === 'AND') {
      take();
      n = { k: 'and', a: n, b: primary() };
    }
    return n;
  };
  const or = (): Node => {
    let n = and();
    while (peek()?.toUpperCase() === 'OR') {
      take();
      n = { k: 'or', a: n, b: and() };
    }
    return n;
  };
  const n = or();
  if (i !== t.length) throw new Error(`memory dynamo: unexpected "${t[i]}" in "${s}"`);
  return n;
}

const attrName = (name: string, names: Names) => (name.startsWith('#') ? (names?.[name] ?? name) : name);

function resolve(o: Operand, item: Item | undefined, names: Names, values: Values): AttributeValue | undefined {
  if (o.k === 'value') return values?.[o.name];
  return item?.[attrName(o.name, names)];
}

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (!a || !b) return undefined;
  if (a.N !== undefined && b.N !== undefined) return Number(a.N) - Number(b.N);
  if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  if (a.BOOL !== undefined && b.BOOL !== undefined) return a.BOOL === b.BOOL ? 0 : undefined;
  return undefined;
}

function evaluate(n: Node, item: Item | undefined, names: Names, values: Values): boolean {
  switch (n.k) {
    case 'or':
      return evaluate(n.a, item, names, values) || evaluate(n.b, item, names, values);
    case 'and':
      return evaluate(n.a, item, names, values) && evaluate(n.b, item, names, values);
    case 'not':
      return !evaluate(n.a, item, names, values);
    case 'fn': {
      const [x, y] = n.args;
      const v = x ? resolve(x, item, names, values) : undefined;
      if (n.name === 'attribute_exists') return v !== undefined;
      if (n.name === 'attribute_not_exists') return v === undefined;
      if (n.name === 'begins_with') {
        const p = y ? resolve(y, item, names, values) : undefined;
        return v?.S !== undefined && p?.S !== undefined && v.S.startsWith(p.S);
      }
      throw new Error(`memory dynamo: function ${n.name} is not supported`);
    }
    case 'cmp': {
      const c = compare(resolve(n.a, item, names, values), resolve(n.b, item, names, values));
      if (c === undefined) return n.op === '<>';
      switch (n.op) {
        case '=': return c === 0;
        case '<>': return c !== 0;
        case '<': return c < 0;
        case '<=': return c <= 0;
        case '>': return c > 0;
        case '>=': return c >= 0;
        default: throw new Error(`memory dynamo: operator ${n.op} is not supported`);
      }
    }
  }
}

interface UpdatePlan {
  set: [string, string][];
  remove: string[];
  add: [string, string][];
}

function parseUpdate(s: string): UpdatePlan {
  const plan: UpdatePlan = { set: [], remove: [], add: [] };
  for (const clause of s.split(/\b(?=SET\s|REMOVE\s|ADD\s)/)) {
    const m = /^\s*(SET|REMOVE|ADD)\s+(.*)$/s.exec(clause);
    if (!m) {
      if (clause.trim() !== '') throw new Error(`memory dynamo: cannot read update clause "${clause}"`);
      continue;
    }
    const parts = m[2]!.split(',').map((p) => p.trim()).filter(Boolean);
    for (const p of parts) {
      if (m[1] === 'SET') {
        const [path, value] = p.split('=').map((x) => x.trim());
        if (!path || !value?.startsWith(':')) throw new Error(`memory dynamo: SET ${p} is not supported`);
        plan.set.push([path, value]);
      } else if (m[1] === 'REMOVE') {
        plan.remove.push(p);
      } else {
        const [path, value] = p.split(/\s+/);
        plan.add.push([path!, value!]);
      }
    }
  }
  return plan;
}

// ------------------------------------------------------------------ the table

export interface MemoryDynamoStats {
  /** Commands answered, by operation. */
  ops: Record<string, number>;
  /** Conditional writes that lost. */
  conditionFailures: number;
  /** Milliseconds spent answering (this table's own work, not the caller's). */
  answerMs: number;
}

export class MemoryDynamo {
  private readonly partitions = new Map<string, Map<string, Item>>();
  private readonly conditions = new Map<string, Node>();
  private readonly updates = new Map<string, UpdatePlan>();
  readonly stats: MemoryDynamoStats = { ops: {}, conditionFailures: 0, answerMs: 0 };

  /** Goes after the simulated platform's plugin, which lets DynamoDB commands through. */
  readonly plugin: Pluggable<object, object> = {
    applyToStack: (stack) => {
      stack.add(
        (next, context) => async (args) => {
          if (context.clientName !== 'DynamoDBClient') return next(args);
          const op = String(context.commandName ?? '').replace(/Command$/, '');
          const t0 = performance.now();
          try {
            const output = this.answer(op, (args as { input: Record<string, unknown> }).input);
            return { output: { ...output, $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } }, response: {} };
          } finally {
            this.stats.answerMs += performance.now() - t0;
          }
        },
        { step: 'initialize', priority: 'low', name: 'benchMemoryDynamo' },
      );
    },
  };

  clear(): void {
    this.partitions.clear();
    this.stats.ops = {};
    this.stats.conditionFailures = 0;
    this.stats.answerMs = 0;
  }

  /** Items held (all partitions). */
  size(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.size;
    return n;
  }

  private condition(expr: string): Node {
    let n = this.conditions.get(expr);
    if (!n) {
      n = parseCondition(expr);
      this.conditions.set(expr, n);
    }
    return n;
  }

  private check(expr: unknown, item: Item | undefined, names: Names, values: Values): void {
    if (typeof expr !== 'string') return;
    if (!evaluate(this.condition(expr), item, names, values)) {
      this.stats.conditionFailures++;
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
    }
  }

  private keyOf(key: Item): [string, string] {
    return [key.pk?.S ?? '', key.sk?.S ?? ''];
  }

  private answer(op: string, input: Record<string, unknown>): Record<string, unknown> {
    this.stats.ops[op] = (this.stats.ops[op] ?? 0) + 1;
    const names = input.ExpressionAttributeNames as Names;
    const values = input.ExpressionAttributeValues as Values;
    switch (op) {
      case 'GetItem': {
        const [pk, sk] = this.keyOf(input.Key as Item);
        const it = this.partitions.get(pk)?.get(sk);
        return it ? { Item: { ...it } } : {};
      }
      case 'PutItem': {
        const item = input.Item as Item;
        const [pk, sk] = this.keyOf(item);
        const part = this.partitions.get(pk);
        this.check(input.ConditionExpression, part?.get(sk), names, values);
        (part ?? this.partitions.set(pk, new Map()).get(pk)!).set(sk, { ...item });
        return {};
      }
      case 'DeleteItem': {
        const [pk, sk] = this.keyOf(input.Key as Item);
        const part = this.partitions.get(pk);
        this.check(input.ConditionExpression, part?.get(sk), names, values);
        part?.delete(sk);
        if (part && part.size === 0) this.partitions.delete(pk);
        return {};
      }
      case 'UpdateItem': {
        const key = input.Key as Item;
        const [pk, sk] = this.keyOf(key);
        const part = this.partitions.get(pk);
        const before = part?.get(sk);
        this.check(input.ConditionExpression, before, names, values);
        const expr = String(input.UpdateExpression ?? '');
        let plan = this.updates.get(expr);
        if (!plan) {
          plan = parseUpdate(expr);
          this.updates.set(expr, plan);
        }
        const next: Item = { ...(before ?? key) };
        for (const [path, value] of plan.set) next[attrName(path, names)] = values![value]!;
        for (const path of plan.remove) delete next[attrName(path, names)];
        for (const [path, value] of plan.add) {
          const name = attrName(path, names);
          next[name] = { N: String(Number(next[name]?.N ?? 0) + Number(values![value]!.N)) };
        }
        (part ?? this.partitions.set(pk, new Map()).get(pk)!).set(sk, next);
        return input.ReturnValues === 'ALL_NEW' ? { Attributes: { ...next } } : {};
      }
      case 'Query': {
        const kc = String(input.KeyConditionExpression ?? '');
        const m = /^\s*(#?\w+)\s*=\s*(:\w+)\s*(?:AND\s+begins_with\(\s*(#?\w+)\s*,\s*(:\w+)\s*\))?\s*$/i.exec(kc);
        if (!m) throw new Error(`memory dynamo: key condition "${kc}" is not supported`);
        const pkAttr = attrName(m[1]!, names);
        const pkValue = values?.[m[2]!]?.S ?? '';
        const prefix = m[4] !== undefined ? (values?.[m[4]]?.S ?? '') : undefined;
        let items: Item[];
        if (input.IndexName !== undefined) {
          const sortAttr = pkAttr.replace(/pk$/, 'sk');
          items = [];
          for (const part of this.partitions.values()) for (const it of part.values()) if (it[pkAttr]?.S === pkValue) items.push(it);
          items.sort((a, b) => ((a[sortAttr]?.S ?? '') < (b[sortAttr]?.S ?? '') ? -1 : 1));
        } else {
          const part = this.partitions.get(pkValue);
          items = part ? [...part.keys()].sort().map((k) => part.get(k)!) : [];
        }
        if (prefix !== undefined) items = items.filter((it) => (it.sk?.S ?? '').startsWith(prefix));
        return { Items: items.map((it) => ({ ...it })), Count: items.length, ScannedCount: items.length };
      }
      default:
        throw new Error(`memory dynamo: ${op} is not supported`);
    }
  }
}
