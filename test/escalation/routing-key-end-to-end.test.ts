import { DynamoDBClient, ListTablesCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { LogItem } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { builtinScenarios } from '../../drills/cli';
import { formatResult } from '../../drills/report';
import type { DrillResult } from '../../drills/result';
import { runScenario } from '../../drills/runner';
import { loadScenario } from '../../drills/scenario/load';
import { FAKE_CREDENTIALS } from '../../drills/sim/dynamodb';
import { DrillLogger, DrillMetrics } from '../../drills/sim/powertools';
import type { SimWorld } from '../../drills/sim/world';
import { createPlaybookHandler } from '../../lambdas/handlers/factory';

/**
 * The PagerDuty routing key, end to end: every built-in drill runs the real handlers with a
 * distinctive key in the simulated Secrets Manager, then everything the functions left behind
 * is searched for it:
 *   - every log line, exactly as Lambda would print it (Powertools JSON and EMF blobs), and
 *     anything written to the console;
 *   - every item of the ledger, whatever its type (a full scan of dynalite before it stops);
 *   - every escalation: SNS messages (subject, body, attributes), PagerDuty requests (all of
 *     the body but `routing_key`, which must carry the key), Scheduler payloads;
 *   - everything the simulated platform recorded (call inputs, invocations, events) and the
 *     drill result, as JSON and as the printed report.
 * What AWS answered is not searched: Secrets Manager's answer holds the key by design.
 *
 * A second pass makes PagerDuty quote the key back (in refusals, throttles, 5xx pages, network
 * errors and even accepted answers), so the scrubbing is exercised along the whole path. The
 * simulated PagerDuty's own faults (`pagerduty-errors`) answer 429/5xx without quoting anything,
 * so the echoes come from a thin layer in front of it, given to the handlers as their `fetch`.
 */

/** 32 characters as PagerDuty integration keys; letters beyond a–f so no slice of it reads as hex. */
const KEY = 'StrmFxPgRtKy7Qw2Zv9Lm4Tn8Hs3Jk6X';
/** A slice of the key this long found anywhere is a partial leak (a key cut by a length limit). */
const FRAGMENT = 12;
/** What the escalator writes where the key was. */
const REDACTED = '[REDACTED]';

/** How the secret holds the key; every form the engine accepts, in turn. */
const STORAGES: { name: string; secret: (key: string) => string }[] = [
  { name: 'JSON routingKey', secret: (k) => JSON.stringify({ routingKey: k }) },
  { name: 'plain', secret: (k) => k },
  { name: 'JSON routing_key', secret: (k) => JSON.stringify({ routing_key: k }) },
  { name: 'plain, trailing newline', secret: (k) => `${k}\n` },
];

// ── The ledger: scanned in full just before the drill stops its dynalite ────────────────────
const dynamoTap = vi.hoisted(() => ({
  beforeClose: undefined as ((endpoint: string, region: string) => Promise<void>) | undefined,
}));

vi.mock(import('../../drills/sim/dynamodb'), async (importOriginal) => {
  const real = await importOriginal();
  return {
    ...real,
    startLocalDynamo: async (tableName: string, region: string) => {
      const local = await real.startLocalDynamo(tableName, region);
      return {
        endpoint: local.endpoint,
        close: async () => {
          try {
            await dynamoTap.beforeClose?.(local.endpoint, region);
          } finally {
            await local.close();
          }
        },
      };
    },
  };
});

type DynamoItem = Record<string, AttributeValue>;

async function scanAllTables(endpoint: string, region: string): Promise<{ table: string; item: DynamoItem }[]> {
  const client = new DynamoDBClient({ region, endpoint, credentials: FAKE_CREDENTIALS });
  try {
    const out: { table: string; item: DynamoItem }[] = [];
    const tables = (await client.send(new ListTablesCommand({}))).TableNames ?? [];
    for (const table of tables) {
      let start: DynamoItem | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
        for (const item of page.Items ?? []) out.push({ table, item });
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return out;
  } finally {
    client.destroy();
  }
}

/** `incident` (which holds its actions), `timeline`, `claim` (delivery), `guard`, `breaker`… from the item's keys. */
function itemKind(item: DynamoItem): string {
  const pk = item.pk?.S ?? '';
  const sk = item.sk?.S ?? '';
  const prefix = pk.split('#')[0] ?? pk;
  if (prefix === 'INCIDENT')
    return sk === 'META' ? 'incident' : sk.startsWith('T#') ? 'timeline' : sk.startsWith('ACTION#') ? 'action' : `incident:${sk.split('#')[0]}`;
  if (prefix === 'OP') return sk === 'META' ? 'operation' : 'operation-progress';
  if (prefix === 'DELIVERY') return 'claim';
  return prefix.toLowerCase();
}

// ── What one drill run left behind ─────────────────────────────────────────────────────────
interface PagerDutyRequest {
  url: string;
  method: string;
  headers: unknown;
  body: string;
}

interface Capture {
  logLines: string[];
  emf: string[];
  ledger: { table: string; item: DynamoItem }[];
  ledgerErrors: string[];
  pagerDuty: PagerDutyRequest[];
}

let current: Capture | undefined;

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
let consoleSpies: MockInstance[] = [];

beforeAll(() => {
  // Every Powertools log line, as the Logger would print it to stdout in Lambda.
  type Printer = { printLog(level: number, log: LogItem): void; getJsonReplacer(): (key: string, value: unknown) => unknown };
  const printer = DrillLogger.prototype as unknown as Printer;
  const printLog = printer.printLog;
  vi.spyOn(printer, 'printLog').mockImplementation(function (this: Printer, level: number, log: LogItem) {
    printLog.call(this, level, log);
    current?.logLines.push(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  });
  // Every EMF blob, which Lambda would print to stdout as well.
  type Emitter = { hasStoredMetrics(): boolean; serializeMetrics(): unknown; publishStoredMetrics(): unknown };
  const emitter = DrillMetrics.prototype as unknown as Emitter;
  const publish = emitter.publishStoredMetrics;
  vi.spyOn(emitter, 'publishStoredMetrics').mockImplementation(function (this: Emitter) {
    if (this.hasStoredMetrics()) current?.emf.push(JSON.stringify(this.serializeMetrics()));
    return publish.call(this);
  });
  // Anything printed around the logger (console, stdout, stderr) is a log line in Lambda too.
  consoleSpies = [...CONSOLE_METHODS.map((m) => vi.spyOn(console, m)), vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')];
  dynamoTap.beforeClose = async (endpoint, region) => {
    const capture = current;
    if (!capture) return;
    try {
      capture.ledger.push(...(await scanAllTables(endpoint, region)));
    } catch (e) {
      capture.ledgerErrors.push((e as Error).stack ?? String(e));
    }
  };
});

afterAll(() => {
  dynamoTap.beforeClose = undefined;
  vi.restoreAllMocks();
});

// ── PagerDuty as the functions reach it: every request kept, answers optionally echoing the key ─
type Echo = 'accept-echo' | '429-echo' | '400-echo' | 'network-echo' | '503-html-echo';
const ECHOES: Echo[] = ['accept-echo', '429-echo', '400-echo', 'network-echo', '503-html-echo'];

class EchoingPagerDuty {
  private n = 0;
  readonly applied: Record<Echo, number> = { 'accept-echo': 0, '429-echo': 0, '400-echo': 0, 'network-echo': 0, '503-html-echo': 0 };

  /** Behaviours go round across requests and runs, so each scenario's first request differs. */
  next(): Echo {
    const e = ECHOES[this.n++ % ECHOES.length]!;
    this.applied[e]++;
    return e;
  }
}

const jsonResponse = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function tapPagerDuty(simulator: typeof fetch, capture: Capture, echo: EchoingPagerDuty | undefined): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = typeof init?.body === 'string' ? init.body : '';
    capture.pagerDuty.push({ url, method: init?.method ?? 'GET', headers: init?.headers ?? {}, body });
    if (!echo) return simulator(input, init);
    let sent = '';
    try {
      const k = (JSON.parse(body) as { routing_key?: unknown }).routing_key;
      sent = typeof k === 'string' ? k : '';
    } catch {
      sent = '';
    }
    switch (echo.next()) {
      case 'accept-echo': {
        const res = await simulator(input, init);
        if (!res.ok) return res;
        const accepted = (await res.json()) as Record<string, unknown>;
        return jsonResponse(res.status, { ...accepted, message: `Event processed for integration ${sent}`, dedup_key: sent });
      }
      case '429-echo':
        return jsonResponse(429, { status: 'throttle event', message: `Requests for ${sent} are arriving too quickly.` }, { 'retry-after': '1' });
      case '400-echo':
        return jsonResponse(400, {
          status: 'invalid event',
          message: `Invalid routing key ${sent}`,
          errors: [`routing_key ${sent} does not match any integration`],
        });
      case 'network-echo':
        throw new TypeError(`fetch failed: socket hang up while sending routing_key=${sent}`);
      case '503-html-echo':
        return new Response(`<html><body>503 Service Unavailable (${sent})<!-- ${sent} --></body></html>`, {
          status: 503,
          headers: { 'content-type': 'text/html' },
        });
    }
  };
}

// ── Turning anything into searchable text ──────────────────────────────────────────────────
function render(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (v instanceof Error) return { ...v, name: v.name, message: v.message, stack: v.stack, cause: v.cause };
      if (v instanceof Uint8Array) return { utf8: Buffer.from(v).toString('utf8'), base64: Buffer.from(v).toString('base64') };
      if (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
        const bytes = Buffer.from((v as { data: number[] }).data);
        return { utf8: bytes.toString('utf8'), base64: bytes.toString('base64') };
      }
      if (v instanceof Map) return [...v.entries()];
      if (v instanceof Set) return [...v];
      if (v instanceof Headers) return [...v.entries()];
      if (typeof v === 'bigint') return String(v);
      return v;
    }) ?? String(value)
  );
}

// ── The forms a leaked key can take ────────────────────────────────────────────────────────
interface Form {
  name: string;
  text: string;
  /** Compared case-insensitively (a lower- or upper-cased copy is still the key). */
  fold: boolean;
}

/** The base64 characters that encode `key` whatever bytes come before it (0, 1 or 2 mod 3). */
function base64Cores(key: string): string[] {
  const bytes = Buffer.from(key, 'utf8');
  const cores: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const encoded = Buffer.concat([Buffer.alloc(lead, 0x20), bytes]).toString('base64');
    const from = lead === 0 ? 0 : 4;
    const whole = Math.floor((bytes.length - (lead === 0 ? 0 : 3 - lead)) / 3);
    cores.push(encoded.slice(from, from + 4 * whole));
  }
  return cores;
}

function leakForms(key: string): Form[] {
  // The key is letters and digits: its JSON-escaped and URL-encoded forms are the key itself.
  const forms: Form[] = [{ name: 'the key', text: key, fold: true }];
  for (let i = 0; i + FRAGMENT <= key.length; i++)
    forms.push({ name: `key characters ${i}–${i + FRAGMENT - 1}`, text: key.slice(i, i + FRAGMENT), fold: true });
  for (const core of base64Cores(key)) {
    forms.push({ name: 'the key in base64', text: core, fold: false });
    forms.push({ name: 'the key in base64url', text: core.replace(/\+/g, '-').replace(/\//g, '_'), fold: false });
  }
  forms.push({ name: 'the key in hex', text: Buffer.from(key, 'utf8').toString('hex'), fold: true });
  return forms;
}

const FORMS = leakForms(KEY);

/** The first form of the key found in `text`, with a little context, or undefined. */
function findLeak(text: string): string | undefined {
  const lower = text.toLowerCase();
  for (const f of FORMS) {
    const at = f.fold ? lower.indexOf(f.text.toLowerCase()) : text.indexOf(f.text);
    if (at >= 0) return `${f.name}: …${text.slice(Math.max(0, at - 60), at + f.text.length + 60)}…`;
  }
  return undefined;
}

// ── One drill, and what it exposes ─────────────────────────────────────────────────────────
interface Place {
  where: string;
  text: string;
}

interface Checked {
  scenario: string;
  result: DrillResult;
  findings: string[];
  /** PagerDuty requests whose `routing_key` was not exactly the key. */
  wrongKey: string[];
  counts: {
    logLines: number;
    emf: number;
    consoleLines: number;
    ledgerItems: number;
    ledgerByKind: Record<string, number>;
    sns: number;
    pagerDutyRequests: number;
    pagerDutyTriggersAccepted: number;
    schedules: number;
  };
  redactedLogLines: number;
  redactedLedgerItems: number;
  ledgerErrors: string[];
}

async function drill(file: string, storage: (typeof STORAGES)[number], echo?: EchoingPagerDuty): Promise<Checked> {
  // Prepare: the scenario's PagerDuty secret holds the test key (the simulated PagerDuty accepts it)
  const loaded = await loadScenario(file);
  const secretName = loaded.config.escalation.pagerDuty?.secretName;
  if (secretName !== undefined) loaded.scenario.world.secrets = { ...loaded.scenario.world.secrets, [secretName]: storage.secret(KEY) };
  const capture: Capture = { logLines: [], emf: [], ledger: [], ledgerErrors: [], pagerDuty: [] };
  let world: SimWorld | undefined;
  for (const s of consoleSpies) s.mockClear();

  // Act
  current = capture;
  let result: DrillResult;
  try {
    result = await runScenario(loaded, {
      onWorld: (w) => (world = w),
      createHandler: (playbookId, deps) => createPlaybookHandler(playbookId, { ...deps, fetch: tapPagerDuty(deps.fetch, capture, echo) }),
    });
  } finally {
    current = undefined;
  }
  const consoleLines = consoleSpies.flatMap((s) => s.mock.calls.map((args) => render(args)));
  const w = world!;

  // Everything to search, named so a failure says where the key turned up
  const places: Place[] = [];
  capture.logLines.forEach((l, i) => places.push({ where: `log line ${i}`, text: l }));
  capture.emf.forEach((l, i) => places.push({ where: `EMF blob ${i}`, text: l }));
  consoleLines.forEach((l, i) => places.push({ where: `console/stdout write ${i}`, text: l }));
  for (const { table, item } of capture.ledger)
    places.push({ where: `ledger ${table} ${itemKind(item)} ${item.pk?.S ?? '?'} ${item.sk?.S ?? '?'}`, text: render(item) });
  for (const m of w.sns.messages)
    places.push({
      where: `SNS message ${m.messageId}`,
      text: render({ topicArn: m.topicArn, subject: m.subject, message: m.message, attributes: m.attributes }),
    });
  const wrongKey: string[] = [];
  capture.pagerDuty.forEach((r, i) => {
    let body: unknown = r.body;
    try {
      const parsed = JSON.parse(r.body) as Record<string, unknown>;
      if (parsed.routing_key !== KEY) wrongKey.push(`request ${i} to ${r.url}: routing_key ${render(parsed.routing_key)}`);
      const { routing_key: _byProtocol, ...rest } = parsed;
      body = rest;
    } catch {
      wrongKey.push(`request ${i} to ${r.url}: body is not JSON`);
    }
    places.push({ where: `PagerDuty request ${i} (${r.url}, routing_key excluded)`, text: render({ url: r.url, method: r.method, headers: r.headers, body }) });
  });
  const schedules = w.record.calls.filter((c) => c.service === 'scheduler' && c.operation === 'CreateSchedule');
  schedules.forEach((c, i) => places.push({ where: `Scheduler payload ${i}`, text: render(c.input) }));
  w.record.calls.forEach((c) =>
    places.push({
      where: `recorded call ${c.seq} ${c.service} ${c.operation} by ${c.functionName ?? 'the drill'} (input, error)`,
      text: render({ input: c.input, error: c.error }),
    }),
  );
  w.record.invocations.forEach((inv) =>
    places.push({
      where: `invocation ${inv.invocationId} (payload, result, error)`,
      text: render({ payload: inv.payload, result: inv.result, error: inv.error }),
    }),
  );
  w.record.events.forEach((e) => places.push({ where: `world event ${e.seq} (${e.kind})`, text: render(e) }));
  w.pagerDuty.events.forEach((e, i) => places.push({ where: `simulated PagerDuty event ${i}`, text: render(e) }));
  w.scheduler.pending().forEach((s) => places.push({ where: `pending schedule ${s.name}`, text: render(s) }));
  places.push({ where: 'drill result (JSON)', text: render(result) });
  places.push({ where: 'drill report (text)', text: formatResult(result) });

  const findings: string[] = [];
  for (const p of places) {
    const leak = findLeak(p.text);
    if (leak !== undefined) findings.push(`${result.scenario}: ${p.where} holds ${leak}`);
  }
  const ledgerByKind: Record<string, number> = {};
  for (const { item } of capture.ledger) ledgerByKind[itemKind(item)] = (ledgerByKind[itemKind(item)] ?? 0) + 1;
  return {
    scenario: result.scenario,
    result,
    findings,
    wrongKey: wrongKey.map((x) => `${result.scenario}: ${x}`),
    counts: {
      logLines: capture.logLines.length,
      emf: capture.emf.length,
      consoleLines: consoleLines.length,
      ledgerItems: capture.ledger.length,
      ledgerByKind,
      sns: w.sns.messages.length,
      pagerDutyRequests: capture.pagerDuty.length,
      pagerDutyTriggersAccepted: w.pagerDuty.events.filter((e) => e.kind === 'trigger').length,
      schedules: schedules.length,
    },
    redactedLogLines: capture.logLines.filter((l) => l.includes(REDACTED)).length,
    redactedLedgerItems: capture.ledger.filter(({ item }) => render(item).includes(REDACTED)).length,
    ledgerErrors: capture.ledgerErrors,
  };
}

function total(runs: Checked[], pick: (c: Checked['counts']) => number): number {
  return runs.reduce((sum, r) => sum + pick(r.counts), 0);
}

const files = await builtinScenarios();

describe('Routing key secrecy, end to end over the built-in drills', () => {
  it('the leak search finds the key in each form it looks for', () => {
    // A search that cannot find the key would make every test below pass vacuously.
    expect(KEY).toHaveLength(32);
    expect(findLeak(`routing key ${KEY} in a line`)).toMatch(/^the key/);
    expect(findLeak(`{"k":"${KEY.toLowerCase()}"}`)).toMatch(/^the key/);
    expect(findLeak(`subject cut short: ${KEY.slice(0, 20)}…`)).toMatch(/^key characters/);
    expect(findLeak(`tail ${KEY.slice(-FRAGMENT)}`)).toMatch(/^key characters/);
    for (const lead of ['', 'x', 'xy', '{"secret":"']) {
      expect(findLeak(Buffer.from(`${lead}${KEY}"}`).toString('base64'))).toMatch(/^the key in base64:/);
      expect(findLeak(Buffer.from(`${lead}${KEY}`).toString('base64url'))).toMatch(/^the key in base64/);
    }
    expect(findLeak(Buffer.from(KEY).toString('hex').toUpperCase())).toMatch(/^the key in hex/);
    expect(findLeak(render({ B: new Uint8Array(Buffer.from(`k=${KEY}`)) }))).toBeDefined();
    expect(findLeak(`routing_key ${REDACTED} dedup 0123456789abcdef0123456789abcdef`)).toBeUndefined();
  });

  it(`never shows the key in any log line, ledger item, escalation or drill result (${files.length} scenarios)`, { timeout: 240_000 }, async () => {
    // Act
    const runs: Checked[] = [];
    for (const [i, file] of files.entries()) runs.push(await drill(file, STORAGES[i % STORAGES.length]!));

    // Assess: the key was really provisioned, sent and accepted…
    expect(runs.length).toBeGreaterThanOrEqual(25);
    expect(runs.flatMap((r) => r.ledgerErrors)).toEqual([]);
    expect(runs.flatMap((r) => r.wrongKey)).toEqual([]);
    expect(total(runs, (c) => c.pagerDutyRequests)).toBeGreaterThan(0);
    expect(total(runs, (c) => c.pagerDutyTriggersAccepted)).toBeGreaterThan(0);
    const escalating = runs.filter((r) => r.counts.pagerDutyTriggersAccepted > 0);
    expect(escalating.length).toBeGreaterThanOrEqual(10);
    // …there was plenty to search…
    expect(total(runs, (c) => c.logLines)).toBeGreaterThan(0);
    expect(total(runs, (c) => c.ledgerItems)).toBeGreaterThan(0);
    expect(total(runs, (c) => c.sns)).toBeGreaterThan(0);
    const kinds = new Set(runs.flatMap((r) => Object.keys(r.counts.ledgerByKind)));
    for (const k of ['incident', 'timeline', 'claim', 'guard', 'alarmstate']) expect(kinds, k).toContain(k);
    // …and the key is nowhere
    expect(runs.flatMap((r) => r.findings)).toEqual([]);
  });

  it('never shows the key when PagerDuty quotes it back: refusals, throttles, 5xx pages, network errors, accepted answers', { timeout: 240_000 }, async () => {
    // Prepare
    const echo = new EchoingPagerDuty();

    // Act
    const runs: Checked[] = [];
    for (const [i, file] of files.entries()) runs.push(await drill(file, STORAGES[(i + 1) % STORAGES.length]!, echo));

    // Assess: the key is nowhere…
    expect(runs.flatMap((r) => r.ledgerErrors)).toEqual([]);
    expect(runs.flatMap((r) => r.findings)).toEqual([]);
    // …although every kind of echo was served, and what PagerDuty quoted reached the logs and the
    // ledger (scrubbed): the echoes really went down the paths that could leak
    for (const e of ECHOES) expect(echo.applied[e], e).toBeGreaterThan(0);
    expect(runs.flatMap((r) => r.wrongKey)).toEqual([]);
    expect(total(runs, (c) => c.pagerDutyRequests)).toBeGreaterThanOrEqual(ECHOES.length);
    expect(runs.reduce((n, r) => n + r.redactedLogLines, 0)).toBeGreaterThan(0);
    expect(runs.reduce((n, r) => n + r.redactedLedgerItems, 0)).toBeGreaterThan(0);
  });
});
