import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rebootBrokerAction } from '../../../lambdas/playbooks/broker-health/act';
import { BrokerHealthReason as R, REBOOT_BROKER, type RebootBrokerParams } from '../../../lambdas/playbooks/broker-health/plan';
import { CLUSTER, MIN, NOW, down, evidence, healthy, op, pipeline, plan, settingsWith, up } from './fixtures';

const REBOOT_2 = `aws kafka reboot-broker --cluster-arn ${CLUSTER} --broker-ids 2 --region eu-west-1`;

describe('Function: planBrokerHealth', () => {
  describe('the cluster itself', () => {
    it('escalates a cluster that does not exist', () => {
      const { cluster: _c, ...rest } = evidence();
      expect(plan(rest)).toMatchObject({ kind: 'escalate', reason: R.CLUSTER_NOT_FOUND, severity: 'error' });
    });

    it.each([
      ['FAILED', 'critical'],
      ['DELETING', 'critical'],
      ['CREATING', 'warning'],
    ] as const)('escalates a %s cluster (%s) and never acts', (state, severity) => {
      const d = plan(evidence({ cluster: { arn: CLUSTER, name: 'order-processing', state, stateInfo: { message: 'capacity' } } }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.CLUSTER_UNUSABLE, severity });
      expect(d.summary).toContain(`is ${state}: capacity`);
    });
  });

  describe('data at risk: a critical page, never an action', () => {
    it('pages for one offline partition, naming the brokers, how long, the partitions and what AWS does', () => {
      const d = plan(evidence({ offlinePartitions: 1 }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.OFFLINE_PARTITIONS, severity: 'critical' });
      if (d.kind !== 'escalate') return;
      expect(d.summary).toContain('1 partition(s) of order-processing are offline');
      expect(d.summary).toContain('broker 2 (b-2.orderprocessing.k1q2w3.c3.kafka.eu-west-1.amazonaws.com) down 12m');
      expect(d.recommendation.summary).toContain('1 offline, 0 under min ISR, 8 under-replicated partition(s)');
      expect(d.recommendation.summary).toContain('AWS is doing nothing: the cluster is ACTIVE and no operation is running');
      expect(d.recommendation.summary).toContain(`Once the cluster is ACTIVE, the one down broker can be rebooted by hand: ${REBOOT_2}`);
      expect(d.evidence).toMatchObject({ offlinePartitions: 1, brokersDown: '2', broker2DownSeconds: 720 });
    });

    it('does not page for 0 offline partitions', () => {
      expect(plan(evidence({ offlinePartitions: 0 })).reason).not.toBe(R.OFFLINE_PARTITIONS);
    });

    it('pages for two brokers down, even while AWS is HEALING', () => {
      const d = plan(
        evidence({
          brokers: [up(1, 6, 6), down(2, 4 * MIN), down(3, 3 * MIN)],
          cluster: { arn: CLUSTER, name: 'order-processing', state: 'HEALING' },
        }),
      );
      expect(d).toMatchObject({ kind: 'escalate', reason: R.BROKERS_DOWN, severity: 'critical' });
      expect(d.summary).toContain('2 of 3 brokers of order-processing down: broker 2');
      expect(d.summary).toContain('broker 3 (b-3.orderprocessing.k1q2w3.c3.kafka.eu-west-1.amazonaws.com) down 3m');
      if (d.kind === 'escalate') expect(d.recommendation.summary).toContain('the cluster is HEALING');
    });

    it('pages for the only broker of a one-broker cluster down', () => {
      const d = plan(evidence({ brokers: [down(1, 11 * MIN)], configuredBrokers: 1, offlinePartitions: null }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.BROKERS_DOWN, severity: 'critical' });
    });

    it('pages for one partition under min ISR, and not for none', () => {
      expect(plan(evidence({ brokers: [up(1, 4, 1), down(2, 12 * MIN), up(3, 4)] }))).toMatchObject({
        kind: 'escalate',
        reason: R.UNDER_MIN_ISR,
        severity: 'critical',
      });
      expect(plan(evidence({ brokers: [up(1, 4, 0), down(2, 12 * MIN), up(3, 4)] })).reason).toBe(R.REBOOT_BROKER);
    });

    it('pages when no controller is active while brokers publish', () => {
      expect(plan(healthy({ activeControllers: 0 }))).toMatchObject({ kind: 'escalate', reason: R.NO_ACTIVE_CONTROLLER, severity: 'critical' });
      expect(plan(healthy({ activeControllers: 1 })).reason).toBe(R.HEALTHY);
      expect(plan(healthy({ activeControllers: null })).reason).toBe(R.HEALTHY);
    });

    it('never plans a fix when two brokers are down, partitions are offline or under min ISR (any timing, budget or state)', () => {
      fc.assert(
        fc.property(
          fc.record({
            downs: fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 3, maxLength: 3 }),
            offline: fc.option(fc.integer({ min: 0, max: 5 })),
            isr: fc.integer({ min: 0, max: 5 }),
            reboots: fc.integer({ min: 0, max: 2 }),
            state: fc.constantFrom('ACTIVE', 'HEALING', 'MAINTENANCE', 'UPDATING', 'REBOOTING_BROKER'),
          }),
          ({ downs, offline, isr, reboots, state }) => {
            const brokers = downs.map((m, i) => (m < 3 ? up(i + 1, 1, isr) : down(i + 1, m * MIN)));
            const d = plan(
              evidence({ brokers, offlinePartitions: offline, rebootsLastHour: reboots, cluster: { arn: CLUSTER, name: 'order-processing', state } }),
            );
            const silent = downs.filter((m) => m >= 3).length;
            const atRisk = silent >= 2 || (offline ?? 0) > 0 || (isr > 0 && silent < 3);
            if (atRisk) expect(d.kind).toBe('escalate');
            if (d.kind === 'fix') {
              expect(silent).toBe(1);
              expect(state).toBe('ACTIVE');
              expect(d.actions).toHaveLength(1);
            }
          },
        ),
      );
    });
  });

  describe('a broker counts as down from its first missing datapoint', () => {
    it('is still up one millisecond before silentMinutes (3) datapoints are missing, and down at exactly 3', () => {
      expect(plan(evidence({ brokers: [up(1), down(2, 3 * MIN - 1), up(3)] })).reason).toBe(R.HEALTHY);
      expect(plan(evidence({ brokers: [up(1), down(2, 3 * MIN), up(3)] })).reason).toBe(R.WAITING_FOR_RECOVERY);
    });

    it('counts a broker with no datapoint in the whole lookback as down since before it', () => {
      const d = plan(
        evidence({ brokers: [up(1), { brokerId: 2, lastDatapointMs: null, underReplicatedPartitions: null, underMinIsrPartitions: null }, up(3)] }),
      );
      expect(d.kind).toBe('fix');
      expect(d.summary).toContain('broker 2 down more than 1h 30m');
    });
  });

  describe('one broker down, cluster ACTIVE, nothing running', () => {
    it('waits for AWS until waitForRecoveryMinutes (10) from the first missing datapoint, to the millisecond', () => {
      const d = plan(evidence({ brokers: [up(1), down(2, 10 * MIN - 1), up(3)] }));
      expect(d).toMatchObject({ kind: 'recheck', reason: R.WAITING_FOR_RECOVERY, afterSeconds: 60 });
      expect(plan(evidence({ brokers: [up(1), down(2, 10 * MIN), up(3)] }))).toMatchObject({ kind: 'fix', reason: R.REBOOT_BROKER });
    });

    it('looks again when the wait will be over, at most recheckSeconds (180) later and at least 60 s', () => {
      expect(plan(evidence({ brokers: [up(1), down(2, 3 * MIN), up(3)] }))).toMatchObject({ kind: 'recheck', afterSeconds: 180 });
      expect(plan(evidence({ brokers: [up(1), down(2, 9 * MIN), up(3)] }))).toMatchObject({ kind: 'recheck', afterSeconds: 90 });
      expect(plan(evidence({ brokers: [up(1), down(2, 9 * MIN)] }), settingsWith({}, { recheckSeconds: 60 }))).toMatchObject({ afterSeconds: 60 });
    });

    it('honours a configured wait', () => {
      const s = settingsWith({}, { waitForRecoveryMinutes: 15 });
      expect(plan(evidence(), s).reason).toBe(R.WAITING_FOR_RECOVERY);
      expect(plan(evidence({ brokers: [up(1), down(2, 15 * MIN), up(3)] }), s).reason).toBe(R.REBOOT_BROKER);
    });

    it('reboots exactly that broker of the configured cluster, with the exact command as the recommendation', () => {
      const d = plan(evidence());
      expect(d).toMatchObject({ kind: 'fix', reason: R.REBOOT_BROKER });
      if (d.kind !== 'fix') return;
      expect(d.actions).toHaveLength(1);
      const a = d.actions[0]!;
      expect(a).toMatchObject({ type: REBOOT_BROKER, resource: `kafka:${CLUSTER}` });
      expect(a.params).toEqual({ clusterArn: CLUSTER, brokerId: '2', downSinceMs: NOW - 12 * MIN, notBeforeMs: NOW });
      expect(rebootBrokerAction.checkBounds(a.params as unknown as RebootBrokerParams, { pipeline, settings: settingsWith() })).toEqual([]);
      expect(d.recommendation?.command).toBe(REBOOT_2);
      expect(d.evidence).toMatchObject({ targetBrokerId: 2, clusterState: 'ACTIVE', underReplicatedPartitions: 8, offlinePartitions: 0 });
    });

    it('refuses without a known offline-partition count, recommending the reboot by hand', () => {
      const d = plan(evidence({ offlinePartitions: null }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.PARTITIONS_UNKNOWN, severity: 'error' });
      if (d.kind === 'escalate') expect(d.recommendation.command).toBe(REBOOT_2);
    });

    it('escalates with the command when the budget (1 reboot per cluster per hour) is used, and reboots below it', () => {
      const d = plan(evidence({ rebootsLastHour: 1 }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.BUDGET_EXHAUSTED, severity: 'error' });
      if (d.kind === 'escalate') expect(d.recommendation.command).toBe(REBOOT_2);
      expect(plan(evidence({ rebootsLastHour: 0 })).reason).toBe(R.REBOOT_BROKER);
      expect(plan(evidence({ rebootsLastHour: 1 }), settingsWith({ maxActionsPerHour: 2 })).reason).toBe(R.REBOOT_BROKER);
    });

    it('does not count a reboot that started before the broker went down', () => {
      const d = plan(evidence({ operations: [op('REBOOT_NODE', 'REBOOT_COMPLETE', 12 * MIN + 1, 13 * MIN)] }));
      expect(d.reason).toBe(R.REBOOT_BROKER);
    });
  });

  describe('a broker rebooted and still down: escalate, never a second reboot', () => {
    it('waits rebootGraceMinutes (3) after REBOOT_COMPLETE, then escalates, to the millisecond', () => {
      const settling = plan(evidence({ operations: [op('REBOOT_NODE', 'REBOOT_COMPLETE', 8 * MIN, 3 * MIN - 1)] }));
      expect(settling).toMatchObject({ kind: 'recheck', reason: R.REBOOT_SETTLING, afterSeconds: 60 });
      const d = plan(evidence({ operations: [op('REBOOT_NODE', 'REBOOT_COMPLETE', 8 * MIN, 3 * MIN)] }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.DOWN_AFTER_REBOOT, severity: 'error' });
      if (d.kind !== 'escalate') return;
      expect(d.summary).toContain('still down 3m after REBOOT_NODE REBOOT_COMPLETE; not rebooting again');
      expect(d.recommendation.command).not.toContain('reboot-broker');
      expect(d.recommendation.summary).toContain('A second reboot will not help');
    });

    it('escalates at once after a failed reboot', () => {
      const d = plan(evidence({ operations: [op('REBOOT_NODE', 'UPDATE_FAILED', 8 * MIN, 7 * MIN)] }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.DOWN_AFTER_REBOOT });
    });

    it('never plans a fix once a reboot followed the broker going down, however long ago', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 11 * MIN }), fc.integer({ min: 0, max: 10 * MIN }), (startAgo, dur) => {
          const end = Math.max(0, startAgo - dur);
          expect(plan(evidence({ operations: [op('REBOOT_NODE', 'REBOOT_COMPLETE', startAgo, end)] })).kind).not.toBe('fix');
        }),
      );
    });
  });

  describe('AWS acting: recheck up to awsActingMaxMinutes (20), then escalate', () => {
    it.each(['HEALING', 'MAINTENANCE', 'UPDATING', 'REBOOTING_BROKER'])('waits while the cluster is %s, counting from the first missing datapoint', (state) => {
      const cluster = { arn: CLUSTER, name: 'order-processing', state };
      const d = plan(evidence({ cluster, brokers: [up(1), down(2, 20 * MIN - 1), up(3)] }));
      expect(d).toMatchObject({ kind: 'recheck', reason: R.AWS_ACTING, afterSeconds: 60 });
      expect(d.summary).toContain(`AWS is acting: the cluster is ${state}`);
      const late = plan(evidence({ cluster, brokers: [up(1), down(2, 20 * MIN), up(3)] }));
      expect(late).toMatchObject({ kind: 'escalate', reason: R.AWS_ACTING_TOO_LONG, severity: 'error' });
      if (late.kind === 'escalate') expect(late.recommendation.summary).toContain('MSK accepts no update (and no reboot) until the cluster is ACTIVE');
    });

    it('waits while an operation runs on an ACTIVE cluster, counting from its start', () => {
      const running = op('UPDATE_CLUSTER_CONFIGURATION', 'UPDATE_IN_PROGRESS', 20 * MIN - 1);
      expect(plan(evidence({ operations: [running] }))).toMatchObject({ kind: 'recheck', reason: R.AWS_ACTING });
      expect(plan(evidence({ operations: [op('UPDATE_CLUSTER_CONFIGURATION', 'UPDATE_IN_PROGRESS', 20 * MIN)] }))).toMatchObject({
        kind: 'escalate',
        reason: R.AWS_ACTING_TOO_LONG,
      });
    });

    it('calls a running reboot a reboot in progress', () => {
      const d = plan(
        evidence({
          operations: [op('REBOOT_NODE', 'REBOOT_IN_PROGRESS', 2 * MIN)],
          cluster: { arn: CLUSTER, name: 'order-processing', state: 'REBOOTING_BROKER' },
        }),
      );
      expect(d).toMatchObject({ kind: 'recheck', reason: R.REBOOT_IN_PROGRESS });
      expect(d.summary).toContain('running: REBOOT_NODE REBOOT_IN_PROGRESS for 2m');
    });

    it('counts from the alarm when no broker is down, and pages a warning after the bound', () => {
      const cluster = { arn: CLUSTER, name: 'order-processing', state: 'MAINTENANCE' };
      expect(plan(healthy({ cluster }), settingsWith(), { alarmAgoMs: 20 * MIN - 1 }).reason).toBe(R.AWS_ACTING);
      expect(plan(healthy({ cluster }), settingsWith(), { alarmAgoMs: 20 * MIN })).toMatchObject({
        kind: 'escalate',
        reason: R.AWS_ACTING_TOO_LONG,
        severity: 'warning',
      });
    });
  });

  describe('no broker down', () => {
    it('waits for replicas to catch up until underReplicatedMaxMinutes (30) after the alarm, then warns', () => {
      const e = healthy({ brokers: [up(1, 2), up(2), up(3, 1)] });
      expect(plan(e, settingsWith(), { alarmAgoMs: 30 * MIN - 1 })).toMatchObject({ kind: 'recheck', reason: R.REPLICAS_CATCHING_UP, afterSeconds: 60 });
      expect(plan(e, settingsWith(), { alarmAgoMs: 30 * MIN })).toMatchObject({ kind: 'escalate', reason: R.UNDER_REPLICATED_PERSISTENT, severity: 'warning' });
    });

    it('tells a config that names fewer brokers than the cluster has', () => {
      const d = plan(healthy({ cluster: { arn: CLUSTER, name: 'order-processing', state: 'ACTIVE', numberOfBrokerNodes: 6 } }));
      expect(d).toMatchObject({ kind: 'escalate', reason: R.BROKER_COUNT_MISMATCH, severity: 'warning' });
      expect(d.summary).toContain('has 6 broker(s) but the config names 3');
    });

    it('ignores a healthy cluster', () => {
      const d = plan(healthy());
      expect(d).toMatchObject({ kind: 'ignore', reason: R.HEALTHY });
      expect(d.summary).toContain('all 3 broker(s) publish; 0 offline, 0 under min ISR, 0 under-replicated partition(s); cluster ACTIVE');
    });
  });
});
