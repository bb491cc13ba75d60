import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADAPTER_SERVICES, ALL_ADAPTERS, S3Adapter, type AdapterClasses, type AdapterName } from '../../lambdas/adapters';
import type { StreamfixConfig } from '../../lambdas/config';
import { parseConfig } from '../../lambdas/schema';
import { deadLetterPermissions, enginePermissions } from '../../lambdas/core/permissions';
import { operationPipelineContext, pipelineContext } from '../../lambdas/wiring';
import { createHandler, ENGINE_ADAPTERS } from '../../lambdas/handlers/create';
import { operations } from '../../lambdas/operations/registry';
import { playbooks } from '../../lambdas/playbooks/registry';
import type { PermissionSpec } from '../../lambdas/core/playbook';
import { builtinScenarios } from '../../drills/cli';
import { writeEntry } from '../../lib/entries';
import { runScenario } from '../../drills/runner';
import { loadScenario } from '../../drills/scenario/load';
import exampleConfig from '../../streamfix.config';
import { emrAndFlink } from '../fixtures/cdk/emr-and-flink';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';

/**
 * Every Lambda function bundles only the service adapters (and so the SDK clients) its playbook
 * or operation names. These tests derive what each one needs from the IAM actions its manifest
 * (and, for a playbook, the engine) declares, so a new permission without its adapter — or an
 * adapter nobody calls — fails here; the drills, which build every handler with the same
 * adapters as its Lambda, show at run time that the set is enough.
 */

const env = { account: '123456789012', region: 'eu-west-1', partition: 'aws' };

/** The SDK client package each adapter wraps. */
const CLIENT_OF_ADAPTER: Record<AdapterName, string> = {
  emr: '@aws-sdk/client-emr-serverless',
  s3: '@aws-sdk/client-s3',
  scheduler: '@aws-sdk/client-scheduler',
  ssm: '@aws-sdk/client-ssm',
  cloudwatch: '@aws-sdk/client-cloudwatch',
  iam: '@aws-sdk/client-iam',
  firehose: '@aws-sdk/client-firehose',
  logs: '@aws-sdk/client-cloudwatch-logs',
  msk: '@aws-sdk/client-kafka',
  flink: '@aws-sdk/client-kinesis-analytics-v2',
  kinesis: '@aws-sdk/client-kinesis',
};

/** Services a function calls through something other than an adapter, by the SDK client it uses. */
const CLIENT_OF_SERVICE: Record<string, string> = {
  dynamodb: '@aws-sdk/client-dynamodb', // the ledger
  sns: '@aws-sdk/client-sns', // the escalator
  secretsmanager: '@aws-sdk/client-secrets-manager', // the escalator's PagerDuty routing key
  'kafka-cluster': '@aws-sdk/client-sts', // the MSK producer's IAM token signer (its credential chain)
};

/** Services the Lambda service calls with a function's role, not the function's code (an SQS event source mapping). */
const CALLED_BY_LAMBDA = new Set(['sqs']);

/**
 * Calls made through something other than their service's adapter, by IAM action: the MSK
 * producer (adapters/kafka.ts, kafkajs) looks up its bootstrap brokers itself.
 */
const CLIENT_OF_ACTION: Record<string, string> = {
  'kafka:GetBootstrapBrokers': '@aws-sdk/client-kafka',
};

/**
 * Actions no code of the function calls itself: IAM checks them on another call (PassRole with
 * StartJobRun or CreateSchedule; KMS when S3 or SNS use a customer-managed key).
 */
const NOT_CALLED = (action: string) => action === 'iam:PassRole' || action.startsWith('kms:');

const ADAPTER_OF_SERVICE = new Map(Object.entries(ADAPTER_SERVICES).map(([adapter, service]) => [service, adapter as AdapterName]));

interface Needs {
  adapters: Set<AdapterName>;
  /** SDK clients of the calls that do not go through an adapter. */
  otherClients: Set<string>;
}

function needsOf(permissions: PermissionSpec[]): Needs {
  const out: Needs = { adapters: new Set(), otherClients: new Set() };
  for (const action of permissions.flatMap((p) => p.actions)) {
    if (NOT_CALLED(action)) continue;
    if (CLIENT_OF_ACTION[action]) {
      out.otherClients.add(CLIENT_OF_ACTION[action]);
      continue;
    }
    const service = action.slice(0, action.indexOf(':'));
    if (CALLED_BY_LAMBDA.has(service)) continue;
    const adapter = ADAPTER_OF_SERVICE.get(service);
    const client = CLIENT_OF_SERVICE[service];
    if (adapter) out.adapters.add(adapter);
    else if (client) out.otherClients.add(client);
    else throw new Error(`${action}: say which adapter or client calls ${service} (or that no code calls it) in this test`);
  }
  return out;
}

const merge = (a: Needs, b: Needs): Needs => ({
  adapters: new Set([...a.adapters, ...b.adapters]),
  otherClients: new Set([...a.otherClients, ...b.otherClients]),
});

const sorted = (xs: Iterable<string>) => [...xs].sort();
const namesOf = (classes: AdapterClasses) => sorted(Object.keys(classes));

/** The engine's own needs in a playbook function, with every optional permission turned on. */
const engineNeeds = () =>
  needsOf(
    enginePermissions({
      prefix: 'sfx',
      ...env,
      tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/sfx-ledger',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:sfx-escalations',
      topicKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
      pagerDutySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sfx/pagerduty',
      schedulerGroup: 'sfx-follow-ups',
      schedulerRoleArn: 'arn:aws:iam::123456789012:role/sfx-scheduler',
      pauseParameterArns: ['arn:aws:ssm:eu-west-1:123456789012:parameter/sfx/pause'],
      reportObjectsArn: 'arn:aws:s3:::sfx-reports/incidents/*',
    }),
  );

/** An operation records itself and its progress in the ledger (lib/permissions.ts adds that table). */
const operationRuntimeNeeds = (): Needs => ({ adapters: new Set(), otherClients: new Set([CLIENT_OF_SERVICE.dynamodb!]) });

/**
 * Every config the tests know: the stack fixture that turns on every optional permission (a
 * metric, log group and key for checkpoints, a delivery role, a reference prefix, an error
 * output), the example, and each built-in drill's.
 */
let configs: StreamfixConfig[];
beforeAll(async () => {
  const drills = await Promise.all((await builtinScenarios()).map(async (f) => (await loadScenario(f)).config));
  configs = [parseConfig(twoPipelines), parseConfig(emrAndFlink), exampleConfig, ...drills];
});

function playbookNeeds(id: string): Needs {
  const manifest = playbooks[id]!.manifest;
  const perms = configs.flatMap((config) =>
    Object.entries(config.pipelines)
      .filter(([, p]) => manifest.appliesTo(p))
      .flatMap(([name, p]) => manifest.permissions(pipelineContext(config, name, p, manifest, env))),
  );
  return needsOf(perms);
}

function operationNeeds(id: string): Needs {
  const manifest = operations[id]!.manifest;
  const perms = configs.flatMap((config) =>
    Object.entries(config.pipelines)
      .filter(([, p]) => manifest.appliesTo(p))
      .flatMap(([name]) => manifest.permissions(operationPipelineContext(config, name, env))),
  );
  return needsOf(perms);
}

describe('Adapters each function names', () => {
  it('the engine builds the adapters its own permissions call, and no other', () => {
    expect(namesOf(ENGINE_ADAPTERS)).toEqual(sorted(engineNeeds().adapters));
  });

  describe.each(Object.keys(playbooks).sort())('playbook %s', (id) => {
    it("names exactly the adapters its manifest's permissions call (with the engine's)", () => {
      const needed = playbookNeeds(id).adapters;
      expect(needed.size).toBeGreaterThan(0);
      expect(namesOf({ ...ENGINE_ADAPTERS, ...playbooks[id]!.adapters })).toEqual(sorted(merge(playbookNeeds(id), engineNeeds()).adapters));
      expect(namesOf(playbooks[id]!.adapters)).toEqual(sorted(needed));
    });

    it('names each adapter by its own class', () => {
      for (const [name, cls] of Object.entries(playbooks[id]!.adapters)) expect(cls).toBe(ALL_ADAPTERS[name as AdapterName]);
    });
  });

  describe.each(Object.keys(operations).sort())('operation %s', (id) => {
    it("names exactly the adapters its manifest's permissions call", () => {
      expect(namesOf(operations[id]!.adapters)).toEqual(sorted(operationNeeds(id).adapters));
    });

    it('names each adapter by its own class', () => {
      for (const [name, cls] of Object.entries(operations[id]!.adapters)) expect(cls).toBe(ALL_ADAPTERS[name as AdapterName]);
    });
  });
});

/** Every function's entry as the stack writes it at synth (lib/entries.ts), and the dead-letter function's own file. */
const entryFiles: Record<string, string> = {
  ...Object.fromEntries(Object.keys(playbooks).map((id) => [id, writeEntry(process.cwd(), id, 'playbook')])),
  ...Object.fromEntries(Object.keys(operations).map((id) => [id, writeEntry(process.cwd(), id, 'operation')])),
  'dead-letters': join(process.cwd(), 'lambdas', 'handlers', 'dead-letters.ts'),
};
const entries = Object.keys(entryFiles).sort();

/** The files in the function's bundle as the stack's esbuild builds it (same format, target, main fields, minified). */
async function bundleInputs(entry: string): Promise<string[]> {
  const r = await build({
    entryPoints: [entryFiles[entry]!],
    bundle: true,
    write: false,
    outfile: 'out.mjs',
    metafile: true,
    logLevel: 'silent',
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
  });
  const [output] = Object.values((r.metafile as Metafile).outputs);
  // Files esbuild read but left out entirely (tree-shaken) are listed with no bytes.
  return Object.entries(output!.inputs)
    .filter(([, v]) => v.bytesInOutput > 0)
    .map(([path]) => path);
}

const sdkClients = (inputs: string[]) =>
  sorted(new Set(inputs.map((i) => /node_modules\/(@aws-sdk\/client-[^/]+)\//.exec(i)?.[1]).filter((c): c is string => c !== undefined)));

/** Modules that hold every playbook or the whole config schema: a function never needs them. */
const NEVER_BUNDLED = [
  'lambdas/schema.ts',
  'lambdas/config/schema.ts',
  'lambdas/playbooks/registry.ts',
  'lambdas/operations/manifests.ts',
  'lambdas/operations/registry.ts',
  'lambdas/wiring.ts',
];

/** The dead-letter function: its own permissions (no adapter; the ledger and the escalator's clients). */
const deadLetterNeeds = () =>
  needsOf(
    deadLetterPermissions({
      tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/sfx-ledger',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:sfx-escalations',
      pagerDutySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sfx/pagerduty',
      queueArn: 'arn:aws:sqs:eu-west-1:123456789012:sfx-dead-letters',
    }),
  );

describe('Lambda bundles', () => {
  it('writes one entry per playbook and operation, importing its own folder and its Lambda wrapper only', () => {
    const imports = (id: string) => [...readFileSync(entryFiles[id]!, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    for (const id of Object.keys(playbooks)) expect(imports(id)).toEqual([`../../lambdas/playbooks/${id}`, '../../lambdas/handlers/lambda']);
    for (const id of Object.keys(operations)) expect(imports(id)).toEqual([`../../lambdas/operations/${id}`, '../../lambdas/handlers/operation-lambda']);
  });

  describe.each(entries)('%s', (entry) => {
    let inputs: string[];
    beforeAll(async () => {
      inputs = await bundleInputs(entry);
    }, 60_000);

    it('contains the SDK clients of its adapters and of its other calls, and no other', () => {
      const playbook = playbooks[entry];
      const deadLetters = entry === 'dead-letters';
      const adapters = playbook ? { ...ENGINE_ADAPTERS, ...playbook.adapters } : deadLetters ? {} : operations[entry]!.adapters;
      const other = playbook
        ? merge(playbookNeeds(entry), engineNeeds()).otherClients
        : deadLetters
          ? deadLetterNeeds().otherClients
          : merge(operationNeeds(entry), operationRuntimeNeeds()).otherClients;
      const expected = sorted(new Set([...Object.keys(adapters).map((a) => CLIENT_OF_ADAPTER[a as AdapterName]), ...other]));
      expect(sdkClients(inputs)).toEqual(expected);
    });

    it('contains neither every playbook nor the config schema', () => {
      expect(inputs.filter((i) => NEVER_BUNDLED.includes(i))).toEqual([]);
      // Another playbook's settings schema comes only with the config schema or the registry.
      const own = playbooks[entry] ? [`lambdas/playbooks/${entry}/`] : [];
      const otherManifests = inputs.filter((i) => /^lambdas\/playbooks\/[^/]+\/manifest\.ts$/.test(i) && !own.some((o) => i.startsWith(o)));
      // The actions and judgments playbooks share live in lambdas/runtimes: no bundle carries another playbook's manifest.
      expect(otherManifests).toEqual([]);
    });

    it("contains zod's English messages only (zod imported as a namespace, so unused parts are left out)", () => {
      const locales = inputs.filter((i) => /node_modules\/zod\/v4\/locales\//.test(i));
      expect(locales.map((l) => l.replace(/.*\//, ''))).toEqual(['en.js']);
    });
  });
});

describe('Drills with too few adapters', () => {
  it('fail, and the incident names the adapter the function lacks', { timeout: 120_000 }, async () => {
    // Prepare: job-failed without its EMR Serverless adapter.
    const loaded = await loadScenario(join(process.cwd(), 'drills', 'scenarios', 'job-crashed.yaml'));

    // Act
    const r = await runScenario(loaded, {
      createHandler: (id, deps) => createHandler(id === 'job-failed' ? { ...playbooks[id]!, adapters: { s3: S3Adapter } } : playbooks[id]!, deps),
    });

    // Assess
    expect(r.verdict).toBe('FAIL');
    const jobFailed = r.incidents.filter((i) => i.playbook === 'job-failed');
    expect(jobFailed[0]?.decision).toMatchObject({
      kind: 'escalate',
      summary: expect.stringContaining('the emr adapter (emr-serverless) is not bundled in the job-failed function'),
    });
  });
});
