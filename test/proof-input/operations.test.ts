import { emrPipeline } from '../helpers/pipelines';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath } from '../../lambdas/config';
import { parseConfig } from '../../lambdas/schema';
import { checkpointOpsOperation } from '../../lambdas/operations/checkpoint-ops';
import { dlqReplayOperation } from '../../lambdas/operations/dlq-replay';
import { operations } from '../../lambdas/operations/registry';
import type { Operation } from '../../lambdas/operations/types';
import exampleConfig from '../../streamfix.config';
import { allPaths, anyInputArb, nearMissValueArb } from '../core/event-arbitraries';
import { pathText, proofRuns, proofTimeoutMs, related, type PathSeg } from './runs';

/**
 * Bad input in the manual payloads of every operation (checkpoint-ops, dlq-replay): the payload
 * schema never throws, and every rejection names the field; `authorize` never throws and every
 * refusal names the field; a payload naming a pipeline, bucket, prefix, delivery stream or topic
 * that is not in the config is refused at that field.
 */

const RUNS = proofRuns();
const TIMEOUT = proofTimeoutMs(RUNS);

const BUCKET = 'orders-data-lake';
const CHECKPOINT = emrPipeline(exampleConfig.pipelines.orders).job.checkpoint;
const DLQ = `s3://${BUCKET}/dlq/orders/`;
const FIREHOSE_ERRORS = `s3://${BUCKET}/firehose-errors/orders/`;
const config = parseConfig({
  ...exampleConfig,
  pipelines: { orders: { ...emrPipeline(exampleConfig.pipelines.orders), dlq: { s3: DLQ, firehoseErrorOutput: FIREHOSE_ERRORS } } },
});
const orders = emrPipeline(config.pipelines.orders);
const STREAM = orders.sink!.deliveryStreamName;
const TOPIC = orders.source.kind === 'msk' ? orders.source.topic : '';

type AnyOperation = Operation<{ command: string; pipeline?: string }>;
type Field = { field: string; message: string };

/** The payload schema's rejection, as the operation handler reports it (createOperationHandler). */
function validate(
  op: AnyOperation,
  raw: unknown,
): { ok: true; value: { command: string; pipeline?: string } } | { ok: false; errors: Field[]; codes: string[] } {
  let r: ReturnType<AnyOperation['payload']['safeParse']>;
  try {
    r = op.payload.safeParse(raw);
  } catch (e) {
    throw new Error(`${op.manifest.id} payload schema threw ${String((e as Error)?.name)}: ${String((e as Error)?.message)}`);
  }
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    errors: r.error.issues.map((i) => ({ field: formatPath(i.path), message: i.message })),
    codes: r.error.issues.map((i) => i.code),
  };
}

function authorize(op: AnyOperation, p: { command: string; pipeline?: string }): Field[] {
  let out: Field[];
  try {
    out = op.authorize(p, config);
  } catch (e) {
    throw new Error(`${op.manifest.id} authorize threw ${String((e as Error)?.name)}: ${String((e as Error)?.message)}`);
  }
  expect(Array.isArray(out)).toBe(true);
  for (const f of out) expectNamed(f);
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function expectNamed(f: Field): void {
  expect(typeof f.field).toBe('string');
  expect(f.field.length).toBeGreaterThan(0);
  expect(typeof f.message).toBe('string');
  expect(f.message.length).toBeGreaterThan(0);
}

/**
 * Every rejection names its field: a path below the root, or — at the root — a payload that is not
 * an object at all, or unknown keys that the message lists by name.
 */
function expectRejectionNamesFields(raw: unknown, errors: Field[], codes: string[]): void {
  expect(errors.length).toBeGreaterThan(0);
  errors.forEach((e, i) => {
    expectNamed(e);
    if (e.field !== '(root)' || !isPlainObject(raw)) return;
    if (codes[i] === 'unrecognized_keys') {
      const unknown = Object.keys(raw).filter((k) => e.message.includes(k));
      expect(unknown.length, `unknown keys not named: ${e.message}`).toBeGreaterThan(0);
      return;
    }
    throw new Error(`a rejection of an object payload at the root names no field: ${e.message}`);
  });
}

/** The whole contract for any input to an operation. */
function checkPayload(op: AnyOperation, raw: unknown): void {
  const v = validate(op, raw);
  if (!v.ok) {
    expectRejectionNamesFields(raw, v.errors, v.codes);
    return;
  }
  authorize(op, v.value);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const requestIdArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
const tsArb = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => new Date(ms).toISOString());
const compactArb = tsArb.map((iso) => iso.replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z'));
const subPrefixArb = fc.array(fc.stringMatching(/^[a-z0-9_=-]{1,12}$/), { maxLength: 3 }).map((segs) => segs.map((s) => `${s}/`).join(''));
const backupArb = compactArb.map((c) => `${CHECKPOINT.replace(/\/+$/, '')}_backup_${c}/`);

/** Valid checkpoint-ops payloads for the configured pipeline (every name inside the config). */
const validCheckpointOpsArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record(
    {
      command: fc.constant('inspect'),
      pipeline: fc.constant('orders'),
      requestId: requestIdArb,
      checkpoint: subPrefixArb.map((s) => `${CHECKPOINT}${s}`),
      format: fc.constantFrom('auto', 'spark', 'flink'),
      savepoints: subPrefixArb.map((s) => `${CHECKPOINT}${s}`),
      maxFileReads: fc.integer({ min: 3, max: 200 }),
    },
    { requiredKeys: ['command', 'pipeline'] },
  ),
  fc.record({ command: fc.constant('backup'), pipeline: fc.constant('orders'), requestId: requestIdArb }),
  fc.record(
    {
      command: fc.constant('rollback'),
      pipeline: fc.constant('orders'),
      requestId: requestIdArb,
      confirm: fc.constant(true),
      toBatch: fc.nat(),
      keepCommit: fc.boolean(),
      backupUri: backupArb,
    },
    { requiredKeys: ['command', 'pipeline', 'requestId', 'confirm', 'toBatch'] },
  ),
  fc.record({
    command: fc.constant('reset'),
    pipeline: fc.constant('orders'),
    requestId: requestIdArb,
    confirm: fc.constant(true),
    to: fc.constantFrom('latest', 'earliest', 'last-good'),
  }),
  fc.record({
    command: fc.constant('reset'),
    pipeline: fc.constant('orders'),
    requestId: requestIdArb,
    confirm: fc.constant(true),
    to: fc.constant('timestamp'),
    timestamp: tsArb,
  }),
  fc.record(
    {
      command: fc.constant('restore'),
      pipeline: fc.constant('orders'),
      requestId: requestIdArb,
      confirm: fc.constant(true),
      fromBackup: backupArb,
      backupUri: backupArb,
    },
    { requiredKeys: ['command', 'pipeline', 'requestId', 'confirm', 'fromBackup'] },
  ),
);

const ERROR_TYPES = ['parse_error', 'validation_error', 'duplicate', 'timeout', 'external_api_error', 'other'] as const;

/** Valid dlq-replay payloads for the configured pipeline. */
const validReplayArb: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    dlqSource: fc.boolean(),
    narrow: fc.option(subPrefixArb, { nil: undefined }),
    range: fc.option(
      fc.tuple(tsArb, tsArb).map(([a, b]) => (a <= b ? [a, b] : [b, a])),
      { nil: undefined },
    ),
    errorTypes: fc.option(fc.uniqueArray(fc.constantFrom(...ERROR_TYPES), { minLength: 1 }), { nil: undefined }),
    errorCodes: fc.option(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    where: fc.option(fc.array(fc.constantFrom('customer_id=c-1', 'id!=3', 'customer_id~^c-[0-9]+$', '$topic=orders.raw'), { maxLength: 3 }), {
      nil: undefined,
    }),
    restate: fc.boolean(),
    write: fc.boolean(),
    ratePerSecond: fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: undefined }),
    maxRecords: fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: undefined }),
    maxAttempts: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    replayId: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), { nil: undefined }),
  })
  .map((g) => {
    const root = g.dlqSource ? DLQ : FIREHOSE_ERRORS;
    const p: Record<string, unknown> = { command: 'replay', pipeline: 'orders' };
    p.source = { kind: g.dlqSource ? 'dlq' : 'firehose-errors', ...(g.narrow !== undefined ? { s3: `${root}${g.narrow}` } : {}) };
    if (g.range) [p.from, p.to] = g.range;
    if (g.errorTypes) p.errorTypes = g.errorTypes;
    if (g.errorCodes) p.errorCodes = g.errorCodes;
    if (g.where) p.where = g.where;
    if (g.restate) p.target = g.dlqSource ? { kind: 'kafka', topic: TOPIC } : { kind: 'firehose', deliveryStreamName: STREAM };
    if (g.write) Object.assign(p, { dryRun: false, confirm: true });
    if (g.ratePerSecond !== undefined) p.ratePerSecond = g.ratePerSecond;
    if (g.maxRecords !== undefined) p.maxRecords = g.maxRecords;
    if (g.maxAttempts !== undefined) p.maxAttempts = g.maxAttempts;
    if (g.replayId !== undefined) p.replayId = g.replayId;
    return p;
  });

const CASES: { op: AnyOperation; valid: fc.Arbitrary<Record<string, unknown>> }[] = [
  { op: checkpointOpsOperation as unknown as AnyOperation, valid: validCheckpointOpsArb },
  { op: dlqReplayOperation as unknown as AnyOperation, valid: validReplayArb },
];

/** A valid payload with one field deleted or replaced by a near miss, and the path of that field. */
const mutate = (valid: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .record({ payload: valid, pick: fc.nat(), op: fc.constantFrom('delete' as const, 'replace' as const), value: nearMissValueArb })
    .map(({ payload, pick, op, value }) => {
      const root = structuredClone(payload);
      const paths = allPaths(root).slice(1);
      const path = paths[pick % paths.length]!;
      // biome-ignore lint/suspicious/noExplicitAny: walks a path of any depth into a parsed JSON payload
      let parent: any = root;
      for (const seg of path.slice(0, -1)) parent = parent[seg];
      const last = path[path.length - 1] as PathSeg;
      if (Array.isArray(parent) && typeof last === 'number') {
        if (op === 'delete') parent.splice(last, 1);
        else parent[last] = value;
      } else if (op === 'delete') delete parent[last];
      else parent[last] = value;
      return { raw: root, path };
    });

/** Junk in every known field of a payload, with the real command. */
const junkFieldsArb = (command: string, keys: readonly string[]) => fc.dictionary(fc.constantFrom(...keys), nearMissValueArb).map((d) => ({ ...d, command }));

const CHECKPOINT_KEYS = [
  'pipeline',
  'requestId',
  'checkpoint',
  'format',
  'savepoints',
  'maxFileReads',
  'confirm',
  'backupUri',
  'toBatch',
  'keepCommit',
  'to',
  'timestamp',
  'fromBackup',
];
const REPLAY_KEYS = [
  'pipeline',
  'source',
  'from',
  'to',
  'errorTypes',
  'errorCodes',
  'where',
  'target',
  'dryRun',
  'confirm',
  'ratePerSecond',
  'maxRecords',
  'maxAttempts',
  'replayId',
];

describe('proof: bad input in manual payloads', () => {
  it('covers every registered operation', () => {
    expect(Object.keys(operations).sort()).toEqual(CASES.map((c) => c.op.manifest.id).sort());
  });

  for (const { op, valid } of CASES) {
    const id = op.manifest.id;

    it(
      `${id}: accepts and authorizes every valid payload naming only configured things (${RUNS} cases)`,
      () => {
        fc.assert(
          fc.property(valid, (raw) => {
            const v = validate(op, raw);
            if (!v.ok) throw new Error(`rejected ${JSON.stringify(raw)}: ${v.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
            expect(authorize(op, v.value)).toEqual([]);
          }),
          { numRuns: RUNS },
        );
      },
      TIMEOUT,
    );

    it(
      `${id}: never throws, and names the field of every rejection, for anything at all (${RUNS} cases)`,
      () => {
        fc.assert(
          fc.property(anyInputArb, (raw) => checkPayload(op, raw)),
          { numRuns: RUNS },
        );
      },
      TIMEOUT,
    );

    it(
      `${id}: never throws, and names the field, for junk in the known fields (${RUNS} cases)`,
      () => {
        const commands = id === 'dlq-replay' ? ['replay'] : ['inspect', 'backup', 'rollback', 'reset', 'restore'];
        const keys = id === 'dlq-replay' ? REPLAY_KEYS : CHECKPOINT_KEYS;
        fc.assert(
          fc.property(
            fc.constantFrom(...commands).chain((c) => junkFieldsArb(c, keys)),
            (raw) => checkPayload(op, raw),
          ),
          { numRuns: RUNS },
        );
      },
      TIMEOUT,
    );

    it(
      `${id}: reports a single bad field at that field (${RUNS} cases)`,
      () => {
        let reported = 0;
        fc.assert(
          fc.property(mutate(valid), ({ raw, path }) => {
            const at = pathText(path);
            const v = validate(op, raw);
            if (!v.ok) expectRejectionNamesFields(raw, v.errors, v.codes);
            const fields = v.ok ? authorize(op, v.value) : v.errors;
            if (fields.length === 0) return;
            reported++;
            // `command` selects the shape: a bad command may be reported at any field of the shape.
            if (at === 'command') return;
            // A deleted `from` or `to` may leave the other end of the range to report.
            // Refusals (the payload parsed) judge fields together: the source decides the default
            // target, dryRun goes with confirm; a refusal may name the other field of such a group.
            const groups = [
              ['source', 'target'],
              ['dryRun', 'confirm'],
              ['from', 'to'],
            ];
            const top = (f: string) => f.split(/[.[]/)[0]!;
            const together = (f: string) => top(f) === top(at) || (v.ok && groups.some((g) => g.includes(top(f)) && g.includes(top(at))));
            const near = fields.some(
              (f) =>
                related(f.field, at) ||
                together(f.field) ||
                (f.field === '(root)' && f.message.includes(String(path[0]))) ||
                (at === 'from' && f.field === 'to'),
            );
            if (!near)
              throw new Error(`changed ${at} in ${JSON.stringify(raw)}, but the rejection names ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`);
          }),
          { numRuns: RUNS },
        );
        expect(reported).toBeGreaterThan(RUNS / 10);
      },
      TIMEOUT,
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Names outside the config

const bucketArb = fc.oneof(
  fc.constant(BUCKET),
  fc.constantFrom('orders-data-lake-old', 'other-bucket', 'orders-data-lakes'),
  fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/),
);
/** An s3 URI that may or may not lie under `root`: the root itself, under it, a look-alike, elsewhere. */
const uriNear = (root: string) => {
  const key = root.replace(/^s3:\/\/[^/]+\//, '');
  return fc
    .record({
      bucket: bucketArb,
      prefix: fc.oneof(
        subPrefixArb.map((s) => `${key}${s}`),
        fc.constant(`${key.replace(/\/$/, '')}-old/`),
        fc.constant(`${key.replace(/\/$/, '')}_backup/`),
        fc.constant(key.replace(/[^/]+\/$/, '')),
        subPrefixArb,
      ),
    })
    .map(({ bucket, prefix }) => `s3://${bucket}/${prefix}`);
};

const pipelineArb = fc.oneof(
  { arbitrary: fc.constant('orders'), weight: 4 },
  { arbitrary: fc.constantFrom('payments', 'orders ', 'Orders', 'orders-2'), weight: 1 },
);
const under = (uri: string, root: string) => uri.startsWith(root);
const fieldsOf = (f: Field[]) => f.map((x) => x.field);

describe('proof: manual payloads naming things outside the config are refused at that field', () => {
  it(
    `checkpoint-ops: a pipeline, checkpoint, savepoints, backup or restore source outside the config (${RUNS} cases)`,
    () => {
      const op = checkpointOpsOperation as unknown as AnyOperation;
      let refused = 0;
      fc.assert(
        fc.property(
          pipelineArb,
          fc.oneof(
            fc.record({ kind: fc.constant('inspect' as const), checkpoint: uriNear(CHECKPOINT), savepoints: uriNear(CHECKPOINT) }),
            fc.record({
              kind: fc.constant('rollback' as const),
              backupUri: fc.oneof(
                backupArb,
                uriNear(CHECKPOINT),
                compactArb.map((c) => `s3://other-bucket/_checkpoints/streaming/orders_backup_${c}/`),
              ),
            }),
            fc.record({
              kind: fc.constant('restore' as const),
              fromBackup: fc.oneof(
                backupArb,
                uriNear(CHECKPOINT),
                compactArb.map((c) => `s3://${BUCKET}/_checkpoints/streaming/payments_backup_${c}/`),
              ),
            }),
          ),
          (pipeline, g) => {
            const raw: Record<string, unknown> =
              g.kind === 'inspect'
                ? { command: 'inspect', pipeline, checkpoint: g.checkpoint, savepoints: g.savepoints }
                : g.kind === 'rollback'
                  ? { command: 'rollback', pipeline, requestId: 'r1', confirm: true, toBatch: 3, backupUri: g.backupUri }
                  : { command: 'restore', pipeline, requestId: 'r1', confirm: true, fromBackup: g.fromBackup };
            const v = validate(op, raw);
            if (!v.ok) return; // not an s3 URI the schema accepts: rejected at the field (checked above)
            const fields = fieldsOf(authorize(op, v.value));
            if (pipeline !== 'orders') {
              expect(fields).toEqual(['pipeline']);
              refused++;
              return;
            }
            const expected: string[] = [];
            if (g.kind === 'inspect') {
              if (!under(g.checkpoint, CHECKPOINT)) expected.push('checkpoint');
              if (!under(g.savepoints, CHECKPOINT)) expected.push('savepoints');
            }
            const isBackup = (u: string) => u.startsWith(`${CHECKPOINT.replace(/\/$/, '')}_backup_`) && /_backup_\d{8}T\d{6}Z\/$/.test(u);
            if (g.kind === 'rollback' && !isBackup(g.backupUri)) expected.push('backupUri');
            if (g.kind === 'restore' && !isBackup(g.fromBackup)) expected.push('fromBackup');
            expect(fields.sort()).toEqual(expected.sort());
            if (expected.length > 0) refused++;
          },
        ),
        { numRuns: RUNS },
      );
      expect(refused).toBeGreaterThan(RUNS / 10);
    },
    TIMEOUT,
  );

  it(
    `dlq-replay: a pipeline, source prefix, delivery stream or topic outside the config (${RUNS} cases)`,
    () => {
      const op = dlqReplayOperation as unknown as AnyOperation;
      let refused = 0;
      const nameArb = (configured: string) => fc.oneof(fc.constant(configured), fc.constant(`${configured}-old`), fc.string({ minLength: 1, maxLength: 20 }));
      fc.assert(
        fc.property(
          pipelineArb,
          fc.boolean(),
          fc.option(
            fc.boolean().chain((dlq) => uriNear(dlq ? DLQ : FIREHOSE_ERRORS)),
            { nil: undefined },
          ),
          fc.option(nameArb(STREAM), { nil: undefined }),
          fc.option(nameArb(TOPIC), { nil: undefined }),
          (pipeline, dlqSource, s3, stream, topic) => {
            const target = dlqSource
              ? { kind: 'kafka', ...(topic !== undefined ? { topic } : {}) }
              : { kind: 'firehose', ...(stream !== undefined ? { deliveryStreamName: stream } : {}) };
            const raw = { command: 'replay', pipeline, source: { kind: dlqSource ? 'dlq' : 'firehose-errors', ...(s3 !== undefined ? { s3 } : {}) }, target };
            const v = validate(op, raw);
            if (!v.ok) return;
            const fields = fieldsOf(authorize(op, v.value));
            if (pipeline !== 'orders') {
              expect(fields).toEqual(['pipeline']);
              refused++;
              return;
            }
            const expected: string[] = [];
            if (s3 !== undefined && !under(s3, dlqSource ? DLQ : FIREHOSE_ERRORS)) expected.push('source.s3');
            if (dlqSource && topic !== undefined && topic !== TOPIC) expected.push('target.topic');
            if (!dlqSource && stream !== undefined && stream !== STREAM) expected.push('target.deliveryStreamName');
            expect(fields.sort()).toEqual(expected.sort());
            if (expected.length > 0) refused++;
          },
        ),
        { numRuns: RUNS },
      );
      expect(refused).toBeGreaterThan(RUNS / 10);
    },
    TIMEOUT,
  );
});
