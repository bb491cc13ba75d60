import { IAMClient, SimulatePrincipalPolicyCommand, type ContextEntry } from '@aws-sdk/client-iam';
import { clientConfig, withPlugins, type AwsClientOptions } from './clients';
import { mapAwsError } from './errors';

const SERVICE = 'iam';

export type EvalDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

export interface SimulationResult {
  action: string;
  resource: string;
  decision: EvalDecision;
  /** Ids of the statements that decided (when IAM reports them). */
  matchedStatements: string[];
  /** Context keys the policies needed and the call did not give. */
  missingContextValues: string[];
}

/**
 * Read-only IAM: "may this role do that on this resource?" without touching anything.
 * Bucket and key policies are not included unless passed in (FACTS §7).
 */
export class IamAdapter {
  constructor(private readonly client: IAMClient) {}

  static fromOptions(opts: AwsClientOptions): IamAdapter {
    return new IamAdapter(withPlugins(new IAMClient(clientConfig(opts)), opts));
  }

  async simulatePrincipalPolicy(
    roleArn: string,
    actions: string[],
    resources: string[],
    opts: { resourcePolicy?: string; contextEntries?: ContextEntry[] } = {},
  ): Promise<SimulationResult[]> {
    const out: SimulationResult[] = [];
    let marker: string | undefined;
    do {
      let reply;
      try {
        reply = await this.client.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: roleArn,
            ActionNames: actions,
            ResourceArns: resources,
            ...(opts.resourcePolicy ? { ResourcePolicy: opts.resourcePolicy } : {}),
            ...(opts.contextEntries ? { ContextEntries: opts.contextEntries } : {}),
            Marker: marker,
          }),
        );
      } catch (e) {
        mapAwsError(SERVICE, 'SimulatePrincipalPolicy', e);
      }
      for (const r of reply.EvaluationResults ?? []) {
        const perResource = r.ResourceSpecificResults ?? [];
        if (perResource.length > 0) {
          for (const rr of perResource) {
            out.push({
              action: r.EvalActionName ?? '',
              resource: rr.EvalResourceName ?? r.EvalResourceName ?? '*',
              decision: (rr.EvalResourceDecision ?? 'implicitDeny') as EvalDecision,
              matchedStatements: (rr.MatchedStatements ?? []).map((m) => m.SourcePolicyId ?? '').filter(Boolean),
              missingContextValues: rr.MissingContextValues ?? [],
            });
          }
        } else {
          out.push({
            action: r.EvalActionName ?? '',
            resource: r.EvalResourceName ?? '*',
            decision: (r.EvalDecision ?? 'implicitDeny') as EvalDecision,
            matchedStatements: (r.MatchedStatements ?? []).map((m) => m.SourcePolicyId ?? '').filter(Boolean),
            missingContextValues: r.MissingContextValues ?? [],
          });
        }
      }
      marker = reply.IsTruncated ? reply.Marker : undefined;
    } while (marker);
    return out;
  }
}
