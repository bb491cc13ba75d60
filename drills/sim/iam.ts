import { IAMServiceException, InvalidInputException, NoSuchEntityException, type SimulatePrincipalPolicyRequest } from '@aws-sdk/client-iam';
import type { SimContext, SimService } from './context';

/**
 * IAM, read-only: roles with identity-policy statements, and `SimulatePrincipalPolicy` on them
 * (explicit deny wins, then any allow, else implicit deny; `*` and `?` match as in IAM).
 * Conditions are not modelled: a statement applies whatever the context. A scenario can take
 * actions away from a role (`iam-revoke`) and give them back (`iam-grant`); simulated services
 * that act with a role (Firehose delivering to S3) ask `decide` the same question.
 */

export interface IamStatement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  actions: string[];
  resources: string[];
}

interface SimRole {
  arn: string;
  statements: IamStatement[];
  /** Actions taken away: no Allow statement grants them any more. */
  revoked: Set<string>;
}

export type Decision = 'allowed' | 'explicitDeny' | 'implicitDeny';

const glob = (pattern: string, flags = '') =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    flags,
  );

const matchesAction = (patterns: string[], action: string) => patterns.some((p) => glob(p, 'i').test(action));
const matchesResource = (patterns: string[], resource: string) => patterns.some((p) => glob(p).test(resource));

export class SimIam implements SimService {
  readonly clientName = 'IAMClient';
  readonly service = 'iam';
  readonly baseException = IAMServiceException;
  readonly operations = {
    SimulatePrincipalPolicy: (i: SimulatePrincipalPolicyRequest) => this.simulate(i),
  };
  private readonly roles = new Map<string, SimRole>();

  constructor(private readonly ctx: SimContext) {}

  addRole(arn: string, statements: IamStatement[]): void {
    this.roles.set(arn, { arn, statements: statements.map((s, k) => ({ sid: s.sid ?? `statement-${k + 1}`, ...s })), revoked: new Set() });
  }

  hasRole(arn: string): boolean {
    return this.roles.has(arn);
  }

  /** Takes `actions` away from the role (as if removed from every Allow statement). */
  revoke(arn: string, actions: string[]): void {
    const r = this.role(arn);
    for (const a of actions) r.revoked.add(a.toLowerCase());
  }

  grant(arn: string, actions: string[]): void {
    const r = this.role(arn);
    for (const a of actions) r.revoked.delete(a.toLowerCase());
  }

  decide(arn: string, action: string, resource: string): { decision: Decision; matched: string[] } {
    const r = this.roles.get(arn);
    if (!r) return { decision: 'implicitDeny', matched: [] };
    const applies = (s: IamStatement) => matchesAction(s.actions, action) && matchesResource(s.resources, resource);
    const denies = r.statements.filter((s) => s.effect === 'Deny' && applies(s));
    if (denies.length > 0) return { decision: 'explicitDeny', matched: denies.map((s) => s.sid!) };
    if (r.revoked.has(action.toLowerCase())) return { decision: 'implicitDeny', matched: [] };
    const allows = r.statements.filter((s) => s.effect === 'Allow' && applies(s));
    return allows.length > 0 ? { decision: 'allowed', matched: allows.map((s) => s.sid!) } : { decision: 'implicitDeny', matched: [] };
  }

  private role(arn: string): SimRole {
    const r = this.roles.get(arn);
    if (!r) throw new Error(`no simulated IAM role ${arn}`);
    return r;
  }

  private simulate(i: SimulatePrincipalPolicyRequest) {
    const arn = i.PolicySourceArn ?? '';
    if (!/^arn:aws[a-zA-Z-]*:iam::\d{12}:(role|user|group)\/.+$/.test(arn)) {
      throw this.ctx.err(
        InvalidInputException,
        400,
        `Invalid Entity Arn: ${arn} does not clear format (arn:aws:iam::<accountId>:user/<userName>|role/<roleName>|group/<groupName>).`,
      );
    }
    if (!this.roles.has(arn)) throw this.ctx.err(NoSuchEntityException, 404, `The role with name ${arn.slice(arn.lastIndexOf('/') + 1)} cannot be found.`);
    const actions = i.ActionNames ?? [];
    if (actions.length === 0) throw this.ctx.err(InvalidInputException, 400, 'ActionNames must not be empty.');
    const resources = i.ResourceArns?.length ? i.ResourceArns : ['*'];
    const rank: Record<Decision, number> = { allowed: 0, implicitDeny: 1, explicitDeny: 2 };
    const all = actions.map((action) => {
      const per = resources.map((resource) => ({ resource, ...this.decide(arn, action, resource) }));
      const worst = per.reduce((a, b) => (rank[b.decision] > rank[a.decision] ? b : a));
      const statements = (ids: string[]) => ids.map((id) => ({ SourcePolicyId: id, SourcePolicyType: 'IAM Policy' as const }));
      return {
        EvalActionName: action,
        EvalResourceName: resources.length === 1 ? resources[0] : '*',
        EvalDecision: worst.decision,
        MatchedStatements: statements(worst.matched),
        MissingContextValues: [],
        ResourceSpecificResults: per.map((p) => ({
          EvalResourceName: p.resource,
          EvalResourceDecision: p.decision,
          MatchedStatements: statements(p.matched),
          MissingContextValues: [],
        })),
      };
    });
    const start = i.Marker ? Number.parseInt(i.Marker, 10) : 0;
    if (Number.isNaN(start)) throw this.ctx.err(InvalidInputException, 400, 'Invalid Marker.');
    const max = i.MaxItems ?? 100;
    const page = all.slice(start, start + max);
    const truncated = start + max < all.length;
    return { EvaluationResults: page, IsTruncated: truncated, ...(truncated ? { Marker: String(start + max) } : {}) };
  }
}
