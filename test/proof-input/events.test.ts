import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/schema';
import { InvalidInputError } from '../../lambdas/core/errors';
import { parseTrigger } from '../../lambdas/core/events';
import { Router } from '../../lambdas/engine/router';
import type { Trigger } from '../../lambdas/core/trigger';
import { playbooks } from '../../lambdas/playbooks/registry';
import exampleConfig from '../../streamfix.config';
import {
  allPaths,
  anyInputArb,
  junkDetailEventArb,
  mutatedEventArb,
  nearMissValueArb,
  validAlarmEventArb,
  validEventArb,
  validFollowUpArb,
  validJobRunEventArb,
} from '../core/event-arbitraries';
import { pathText, proofRuns, proofTimeoutMs, related, type PathSeg } from './runs';

/**
 * Bad input at the engine's intake: alarm events, native job run events and follow-up payloads.
 * For anything at all, parseTrigger returns a Trigger or throws an InvalidInputError naming a
 * field (never anything else), and routing a parsed trigger does the same. A single mutation
 * of a valid event that makes it invalid is reported at the mutated field (or a field next to
 * it in the same structure).
 */

const RUNS = proofRuns();
const TIMEOUT = proofTimeoutMs(RUNS);
const config = parseConfig(exampleConfig);
const routers = Object.values(playbooks).map((p) => new Router(config, p, { account: '123456789012', region: 'eu-west-1', partition: 'aws' }));

type Outcome = { ok: true; trigger: Trigger } | { ok: false; error: InvalidInputError };

/** parseTrigger's outcome; any throw other than InvalidInputError fails the property. */
function intake(raw: unknown): Outcome {
  try {
    return { ok: true, trigger: parseTrigger(raw) };
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw new Error(`parseTrigger threw ${String((e as Error)?.name)}: ${String((e as Error)?.message)}`);
    return { ok: false, error: e };
  }
}

/** The error names a field, and every issue does. */
function expectNamedField(e: InvalidInputError): void {
  expect(typeof e.field).toBe('string');
  expect(e.field.length).toBeGreaterThan(0);
  expect(e.issues.length).toBeGreaterThan(0);
  expect(e.issues[0]!.field).toBe(e.field);
  for (const i of e.issues) {
    expect(i.field.length).toBeGreaterThan(0);
    expect(i.message.length).toBeGreaterThan(0);
  }
  expect(e.message.startsWith(`${e.field}: `)).toBe(true);
}

/** The full contract for any input: a Trigger that every router accepts or refuses by name, or a named rejection. */
function checkIntake(raw: unknown): void {
  const r = intake(raw);
  if (!r.ok) {
    expectNamedField(r.error);
    return;
  }
  for (const router of routers) {
    try {
      const pipelines = router.route(r.trigger);
      expect(Array.isArray(pipelines)).toBe(true);
      for (const p of pipelines) expect(Object.keys(config.pipelines)).toContain(p);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw new Error(`route threw ${String((e as Error)?.name)}: ${String((e as Error)?.message)}`);
      expectNamedField(e);
    }
  }
}

/** Fields that are checked together: a change to one may be reported at the other. */
const TOGETHER: readonly (readonly string[])[] = [
  // The follow-up marker decides whether the envelope (source, detail-type) is read at all.
  ['streamfix', 'source', 'detail-type'],
  // A job run event's time comes from detail.updatedAt or, without it, the event's time.
  ['time', 'detail.updatedAt'],
];

function reportedNear(e: InvalidInputError, path: string): boolean {
  return e.issues.some((i) => related(i.field, path) || TOGETHER.some((g) => g.some((f) => related(path, f)) && g.some((f) => related(i.field, f))));
}

/** A valid event with one field deleted or replaced, and the path of that field. */
const singleMutationArb = fc
  .record({ event: validEventArb, pick: fc.nat(), op: fc.constantFrom('delete' as const, 'replace' as const), value: nearMissValueArb })
  .map(({ event, pick, op, value }) => {
    const root = structuredClone(event) as Record<string, unknown>;
    const paths = allPaths(root).slice(1);
    const path = paths[pick % paths.length]!;
    // biome-ignore lint/suspicious/noExplicitAny: walks a path of any depth into a parsed JSON event
    let parent: any = root;
    for (const seg of path.slice(0, -1)) parent = parent[seg];
    const last = path[path.length - 1] as PathSeg;
    if (Array.isArray(parent) && typeof last === 'number') {
      if (op === 'delete') parent.splice(last, 1);
      else parent[last] = value;
    } else if (op === 'delete') delete parent[last];
    else parent[last] = value;
    return { raw: root, path, op, value };
  });

describe('proof: bad input at the engine intake (parseTrigger, routing)', () => {
  it(
    `never throws anything but a named InvalidInputError, for anything at all (${RUNS} cases)`,
    () => {
      fc.assert(fc.property(anyInputArb, checkIntake), { numRuns: RUNS });
    },
    TIMEOUT,
  );

  it(
    `never throws anything but a named InvalidInputError, for valid events with 1–4 mutations (${RUNS} cases)`,
    () => {
      fc.assert(fc.property(mutatedEventArb, checkIntake), { numRuns: RUNS });
    },
    TIMEOUT,
  );

  it(
    `never throws anything but a named InvalidInputError, for known envelopes around junk details (${RUNS} cases)`,
    () => {
      fc.assert(fc.property(junkDetailEventArb, checkIntake), { numRuns: RUNS });
    },
    TIMEOUT,
  );

  it(
    `accepts every valid alarm event, job run event and follow-up payload (${RUNS} cases each)`,
    () => {
      for (const arb of [validAlarmEventArb.map((c) => c.event), validJobRunEventArb.map((c) => c.event), validFollowUpArb]) {
        fc.assert(
          fc.property(arb, (raw) => {
            const r = intake(raw);
            if (!r.ok) throw new Error(`rejected a valid event at ${r.error.field}: ${r.error.message}`);
            checkIntake(raw);
          }),
          { numRuns: RUNS },
        );
      }
    },
    TIMEOUT,
  );

  it(
    `reports a single bad field at that field (${RUNS} cases)`,
    () => {
      let rejected = 0;
      fc.assert(
        fc.property(singleMutationArb, ({ raw, path }) => {
          const r = intake(raw);
          if (r.ok) return;
          rejected++;
          expectNamedField(r.error);
          const at = pathText(path);
          if (!reportedNear(r.error, at)) {
            throw new Error(`mutated ${at}, but the rejection names ${r.error.issues.map((i) => i.field).join(', ')}: ${r.error.message}`);
          }
        }),
        { numRuns: RUNS },
      );
      // The property is about rejections: enough of the mutations must have produced one.
      expect(rejected).toBeGreaterThan(RUNS / 10);
    },
    TIMEOUT,
  );
});
