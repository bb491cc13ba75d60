import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { MergedStatement } from './permissions';

/**
 * IAM's size limits, in characters without whitespace ("IAM and AWS STS quotas", IAM User
 * Guide): all inline policies of a role together 10,240; one customer managed policy 6,144;
 * 10 managed policies attached to a role (a quota that can be raised to 20).
 */
export const IAM_LIMITS = { inlinePerRole: 10_240, managedPolicy: 6_144, managedPerRole: 10 } as const;

/**
 * Upper bounds for what CloudFormation puts in place of a reference: the longest partition
 * (`aws-us-gov`), a region name, an account id, and any ARN of this stack's own resources
 * (their names are generated, at most 64 characters, inside an ARN's ~90 more).
 */
const PSEUDO: Record<string, number> = { 'AWS::Partition': 10, 'AWS::Region': 16, 'AWS::AccountId': 12, 'AWS::URLSuffix': 16, 'AWS::StackName': 128 };
const REFERENCE_CHARS = 160;

/** Characters of a resolved CloudFormation value once deployed (tokens at their longest), as JSON. */
function chars(v: unknown): number {
  if (typeof v === 'string') return JSON.stringify(v).length;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return JSON.stringify(v).length;
  if (Array.isArray(v)) return 2 + v.reduce((n: number, x) => n + chars(x), 0) + Math.max(0, v.length - 1);
  const o = v as Record<string, unknown>;
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    // The joined string: each part's characters without its own quotes, then one pair of quotes.
    return 2 + parts.reduce((n: number, p) => n + (chars(p) - 2), 0) + sep.length * Math.max(0, parts.length - 1);
  }
  if ('Ref' in o) return 2 + (PSEUDO[String(o.Ref)] ?? REFERENCE_CHARS);
  if ('Fn::GetAtt' in o || 'Fn::ImportValue' in o || 'Fn::Sub' in o) return 2 + REFERENCE_CHARS;
  const entries = Object.entries(o);
  return 2 + entries.reduce((n, [k, x]) => n + JSON.stringify(k).length + 1 + chars(x), 0) + Math.max(0, entries.length - 1);
}

const statementJson = (s: MergedStatement) => ({
  Effect: s.effect,
  Action: s.actions.length === 1 ? s.actions[0] : s.actions,
  Resource: s.resources.length === 1 ? s.resources[0] : s.resources,
  ...(s.conditions ? { Condition: s.conditions } : {}),
});

/** `{"Version":"2012-10-17","Statement":[…]}` around the statements. */
const DOCUMENT_OVERHEAD = JSON.stringify({ Version: '2012-10-17', Statement: [] }).length;

/** The deployed size of one statement (an upper bound), given the scope that resolves its tokens. */
export const statementChars = (scope: IConstruct, s: MergedStatement): number => chars(Stack.of(scope).resolve(statementJson(s)));

export const documentChars = (scope: IConstruct, statements: readonly MergedStatement[]): number =>
  DOCUMENT_OVERHEAD + statements.reduce((n, s) => n + statementChars(scope, s), 0) + Math.max(0, statements.length - 1);

/** A statement too large for one policy, cut into statements over parts of its resources. */
function fitStatement(scope: IConstruct, s: MergedStatement, budget: number): MergedStatement[] {
  if (DOCUMENT_OVERHEAD + statementChars(scope, s) <= budget || s.resources.length < 2) return [s];
  const half = Math.ceil(s.resources.length / 2);
  return [
    ...fitStatement(scope, { ...s, resources: s.resources.slice(0, half) }, budget),
    ...fitStatement(scope, { ...s, resources: s.resources.slice(half) }, budget),
  ];
}

export interface PolicyLayout {
  /** The role's inline policy (at most 10,240 characters). */
  inline: MergedStatement[];
  /** Customer managed policies, each at most 6,144 characters. */
  managed: MergedStatement[][];
}

/**
 * Lays a role's statements out within IAM's limits: as many as fit inline, the rest in managed
 * policies, both filled first-fit from the largest statement down (then kept in their original
 * order within each policy). Throws, naming the function and the numbers, when even ten managed
 * policies are not enough.
 */
export function layoutPolicies(scope: IConstruct, owner: string, statements: readonly MergedStatement[]): PolicyLayout {
  const pieces = statements
    .flatMap((x) => fitStatement(scope, x, IAM_LIMITS.managedPolicy))
    .map((s, index) => ({ s, index, chars: statementChars(scope, s) + 1 }));
  const largestFirst = [...pieces].sort((a, b) => b.chars - a.chars || a.index - b.index);
  const inline: typeof pieces = [];
  let inlineChars = DOCUMENT_OVERHEAD;
  const rest: typeof pieces = [];
  for (const p of largestFirst) {
    if (inlineChars + p.chars <= IAM_LIMITS.inlinePerRole) {
      inline.push(p);
      inlineChars += p.chars;
    } else rest.push(p);
  }
  const bins: { items: typeof pieces; chars: number }[] = [];
  for (const p of rest) {
    const bin = bins.find((b) => b.chars + p.chars <= IAM_LIMITS.managedPolicy);
    if (bin) {
      bin.items.push(p);
      bin.chars += p.chars;
    } else bins.push({ items: [p], chars: DOCUMENT_OVERHEAD + p.chars });
  }
  if (bins.length > IAM_LIMITS.managedPerRole) {
    const total = documentChars(scope, statements);
    throw new Error(
      `${owner}: its role needs about ${total.toLocaleString('en-US')} characters of policy: ${IAM_LIMITS.inlinePerRole.toLocaleString('en-US')} inline and ` +
        `${bins.length} managed policies of ${IAM_LIMITS.managedPolicy.toLocaleString('en-US')}, over the ${IAM_LIMITS.managedPerRole} managed policies IAM attaches to a role ` +
        '(IAM and AWS STS quotas). Deploy the pipelines in more than one stack (one config each, with its own name), or turn this playbook off for some of them.',
    );
  }
  const inOrder = (xs: typeof pieces) => [...xs].sort((a, b) => a.index - b.index).map((x) => x.s);
  return { inline: inOrder(inline), managed: bins.map((b) => inOrder(b.items)) };
}
