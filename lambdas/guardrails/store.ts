import { ConflictError } from '../core/errors';
import { and, eq, lacks, lte, or, type Cond, type Item, type ItemStore } from '../ledger/item-store';
import { DAY_S, expires } from '../ledger/keys';
import { LEDGER_TABLE } from '../ledger/table';

/**
 * The guardrails' state, in the ledger's table: one item per resource (its lock, its cooldown
 * and the times of its recent actions, for the hourly budget) and one breaker per pipeline and
 * playbook. Lock and budget sit on one item so that the gate takes the lock and reserves the
 * budget in one conditional write.
 */

export interface BreakerState {
  /** Open until this time (ms); undefined/past = closed. */
  openUntilMs?: number;
  openedReason?: string;
  consecutiveVerifyFailures: number;
  lastFixAtMs?: number;
  /** The incident whose fix set `lastFixAtMs`. */
  lastFixIncidentId?: string;
}

/**
 * The lease of a lock held until its owner releases it (`holdLock`): a manual operation that
 * left the job's checkpoint half changed keeps the job locked across its invocations, so no fix
 * starts the job on it (a valid date: messages print it).
 */
export const HELD_UNTIL_RELEASED_MS = Date.UTC(9999, 11, 31);

/** One resource's guard state, as read. */
export interface ResourceGuard {
  resource: string;
  /** `reason` and `sinceMs`: set by `holdLock` (why the resource is held, and since when). */
  lock?: { owner: string; untilMs: number; reason?: string; sinceMs?: number };
  cooldownUntilMs?: number;
  /** Times (ms) of the actions admitted on this resource, newest last (pruned to a day). */
  actionTimes: number[];
  /** Optimistic-concurrency version of the budget; 0 when the item does not exist. */
  version: number;
}

export interface Admission {
  /** The lock's owner (an incident id, or `operation:<id>`). */
  owner: string;
  lockUntilMs: number;
  /** Action times to add to the budget (one per admitted action on this resource). */
  reserve: number[];
  nowMs: number;
}

export interface GuardrailStore {
  readResource(resource: string): Promise<ResourceGuard>;
  /**
   * Takes the lock (free, expired, or already the owner's) and adds `reserve` to the budget in
   * one write, provided nothing changed since `seen` was read; false when it did (read again).
   */
  admit(seen: ResourceGuard, a: Admission): Promise<boolean>;
  /** Extends a held lock; false when the owner does not hold it any more. */
  renewLock(resource: string, owner: string, untilMs: number): Promise<boolean>;
  /** Frees the lock if `owner` holds it; `unreserve` gives back budget taken by an admission that was undone. */
  releaseLock(resource: string, owner: string, unreserve?: number[]): Promise<void>;
  setCooldown(resource: string, untilMs: number): Promise<void>;
  /**
   * Takes the lock for `owner` until released (free, expired, or already the owner's; no budget
   * is reserved): the owner is a manual operation (`operation:<id>`). Returns the other holder
   * when it is taken.
   */
  holdLock(resource: string, owner: string, reason: string, nowMs: number): Promise<{ ok: true; guard: ResourceGuard } | { ok: false; guard: ResourceGuard }>;
  /** Frees a lock taken by `holdLock` if `owner` holds it (its item expires again like any other). */
  releaseHold(resource: string, owner: string, nowMs: number): Promise<void>;
  readBreaker(key: string): Promise<BreakerState>;
  writeBreaker(key: string, state: BreakerState): Promise<void>;
  /** Every resource with guard state (`streamfix status`). */
  listResources(): Promise<ResourceGuard[]>;
  /** Every breaker, by key (`<pipeline>#<playbook>`). */
  listBreakers(): Promise<{ key: string; state: BreakerState }[]>;
}

const KEEP_TIMES_MS = DAY_S * 1000;
const ADMIT_ATTEMPTS = 5;

/** The item is still at the version that was read (a missing item, or one never versioned, is version 0). */
const atVersion = (v: number): Cond => (v === 0 ? or(lacks('version'), eq('version', 0)) : eq('version', v));
const GUARD = (resource: string) => `GUARD#${resource}`;
const INDEX = { name: LEDGER_TABLE.gsi1.name, pkAttr: LEDGER_TABLE.gsi1.partitionKey, skAttr: LEDGER_TABLE.gsi1.sortKey };
/** The index entries that let `streamfix status` list guards and breakers without a scan. */
const listed = (kind: 'GUARDS' | 'BREAKERS', key: string) => ({ [INDEX.pkAttr]: kind, [INDEX.skAttr]: key });

function guardOf(resource: string, it: Item | undefined): ResourceGuard {
  return {
    resource,
    ...(it && typeof it.lockOwner === 'string'
      ? {
          lock: {
            owner: it.lockOwner,
            untilMs: Number(it.lockUntil ?? 0),
            ...(typeof it.lockReason === 'string' ? { reason: it.lockReason } : {}),
            ...(it.lockSince !== undefined ? { sinceMs: Number(it.lockSince) } : {}),
          },
        }
      : {}),
    ...(it?.cooldownUntil !== undefined ? { cooldownUntilMs: Number(it.cooldownUntil) } : {}),
    actionTimes: it?.times ? (JSON.parse(String(it.times)) as number[]) : [],
    version: it ? Number(it.version ?? 0) : 0,
  };
}

/** The guardrails' state on an ItemStore (DynamoDB in Lambda, memory in the benches). */
export class ItemGuardrailStore implements GuardrailStore {
  constructor(private readonly store: ItemStore) {}

  async readResource(resource: string): Promise<ResourceGuard> {
    return guardOf(resource, await this.store.get(GUARD(resource), '-'));
  }

  async admit(seen: ResourceGuard, a: Admission): Promise<boolean> {
    const times = [...seen.actionTimes.filter((t) => t > a.nowMs - KEEP_TIMES_MS), ...a.reserve];
    const lockFree = or(lacks('lockOwner'), lte('lockUntil', a.nowMs), eq('lockOwner', a.owner));
    try {
      await this.store.update(
        GUARD(seen.resource),
        '-',
        {
          lockOwner: a.owner,
          lockUntil: a.lockUntilMs,
          times: JSON.stringify(times),
          version: seen.version + 1,
          expiresAt: expires(a.nowMs, 2 * DAY_S),
          ...listed('GUARDS', seen.resource),
        },
        and(atVersion(seen.version), lockFree),
      );
      return true;
    } catch (e) {
      if (e instanceof ConflictError) return false;
      throw e;
    }
  }

  async renewLock(resource: string, owner: string, untilMs: number): Promise<boolean> {
    try {
      await this.store.update(GUARD(resource), '-', { lockUntil: untilMs }, eq('lockOwner', owner));
      return true;
    } catch (e) {
      if (e instanceof ConflictError) return false;
      throw e;
    }
  }

  async releaseLock(resource: string, owner: string, unreserve: number[] = []): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const seen = await this.readResource(resource);
      if (seen.lock?.owner !== owner && unreserve.length === 0) return;
      const times = [...seen.actionTimes];
      for (const t of unreserve) {
        const i = times.lastIndexOf(t);
        if (i >= 0) times.splice(i, 1);
      }
      const set: Record<string, string | number | undefined> = { times: JSON.stringify(times), version: seen.version + 1 };
      if (seen.lock?.owner === owner) Object.assign(set, { lockOwner: undefined, lockUntil: undefined });
      try {
        await this.store.update(GUARD(resource), '-', set, atVersion(seen.version));
        return;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    throw new ConflictError(`could not release the lock on ${resource}: it keeps changing`);
  }

  async holdLock(
    resource: string,
    owner: string,
    reason: string,
    nowMs: number,
  ): Promise<{ ok: true; guard: ResourceGuard } | { ok: false; guard: ResourceGuard }> {
    for (let attempt = 0; attempt < ADMIT_ATTEMPTS; attempt++) {
      const seen = await this.readResource(resource);
      if (seen.lock && seen.lock.owner !== owner && seen.lock.untilMs > nowMs) return { ok: false, guard: seen };
      const since = seen.lock?.owner === owner && seen.lock.sinceMs !== undefined ? seen.lock.sinceMs : nowMs;
      try {
        // No TTL while held: the lock must outlive the item's usual two days if need be.
        await this.store.update(
          GUARD(resource),
          '-',
          { lockOwner: owner, lockUntil: HELD_UNTIL_RELEASED_MS, lockReason: reason, lockSince: since, version: seen.version + 1, expiresAt: undefined },
          atVersion(seen.version),
        );
        return { ok: true, guard: { ...seen, lock: { owner, untilMs: HELD_UNTIL_RELEASED_MS, reason, sinceMs: since }, version: seen.version + 1 } };
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    throw new ConflictError(`could not take the lock on ${resource}: it keeps changing`);
  }

  async releaseHold(resource: string, owner: string, nowMs: number): Promise<void> {
    for (let attempt = 0; attempt < ADMIT_ATTEMPTS; attempt++) {
      const seen = await this.readResource(resource);
      if (seen.lock?.owner !== owner) return;
      try {
        await this.store.update(
          GUARD(resource),
          '-',
          {
            lockOwner: undefined,
            lockUntil: undefined,
            lockReason: undefined,
            lockSince: undefined,
            version: seen.version + 1,
            expiresAt: expires(nowMs, 2 * DAY_S),
          },
          atVersion(seen.version),
        );
        return;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
      }
    }
    throw new ConflictError(`could not release the lock on ${resource}: it keeps changing`);
  }

  async setCooldown(resource: string, untilMs: number): Promise<void> {
    await this.store.update(GUARD(resource), '-', { cooldownUntil: untilMs, ...listed('GUARDS', resource) });
  }

  async readBreaker(key: string): Promise<BreakerState> {
    const it = await this.store.get(`BREAKER#${key}`, '-');
    return it ? (JSON.parse(String(it.doc)) as BreakerState) : { consecutiveVerifyFailures: 0 };
  }

  async writeBreaker(key: string, state: BreakerState): Promise<void> {
    await this.store.put({ pk: `BREAKER#${key}`, sk: '-', doc: JSON.stringify(state), ...listed('BREAKERS', key) });
  }

  async listResources(): Promise<ResourceGuard[]> {
    const items = await this.store.query('GUARDS', undefined, INDEX);
    return items.map((it) => guardOf(String(it[INDEX.skAttr]), it));
  }

  async listBreakers(): Promise<{ key: string; state: BreakerState }[]> {
    const items = await this.store.query('BREAKERS', undefined, INDEX);
    return items.map((it) => ({ key: String(it[INDEX.skAttr]), state: JSON.parse(String(it.doc)) as BreakerState }));
  }
}
