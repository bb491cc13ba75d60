import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig, type StreamfixConfig, type StreamfixConfigInput } from '../../lambdas/config';
import { StreamfixStack } from '../../lib/stack';
import { twoPipelines } from '../fixtures/cdk/two-pipelines';

/** A CloudFormation resource as it appears in the synthesized template. */
export interface CfnJson {
  Type: string;
  Properties: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface BuiltStack {
  config: StreamfixConfig;
  app: App;
  stack: StreamfixStack;
  template: Template;
  resources: Record<string, CfnJson>;
  /** The cloud assembly directory (templates, assets, validation report). */
  outdir: string;
  logicalId(resource: CfnResource): string;
  ofType(type: string): [string, CfnJson][];
  /** The one resource of `type`; throws when there is none or more than one. */
  single(type: string): CfnJson;
  cleanup(): void;
}

export interface BuildOptions {
  /** Run esbuild for the function assets. @default true */
  bundle?: boolean;
  /**
   * Validate as `cdk synth` does: cdk-nag's AwsSolutions checks (registered as bin/app.ts does)
   * and the CDK's built-in CloudFormation schema validation (slow, so off otherwise). @default false
   */
  validate?: boolean;
}

/** Builds the stack in-process from a parsed config and synthesizes it into a temporary directory. */
export function buildStack(input: StreamfixConfigInput = twoPipelines, options: BuildOptions = {}): BuiltStack {
  const config = parseConfig(input);
  const outdir = mkdtempSync(join(tmpdir(), 'streamfix-cdk-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: options.validate === true,
    context: options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {},
  });
  const stack = new StreamfixStack(app, 'StreamfixTest', { config });
  if (options.validate) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, CfnJson>;
  return {
    config,
    app,
    stack,
    template,
    resources,
    outdir,
    logicalId: (resource) => stack.getLogicalId(resource),
    ofType: (type) => Object.entries(resources).filter(([, r]) => r.Type === type),
    single: (type) => {
      const found = Object.values(resources).filter((r) => r.Type === type);
      if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
      return found[0]!;
    },
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** `{ "Fn::GetAtt": [id, "Arn"] }` */
export const getAttArn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

export const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** A resolved CloudFormation value as one readable string: `arn:<AWS::Partition>:…`, `<Id.Arn>`, `<Id>`. */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if (o && Array.isArray(o['Fn::Join'])) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(sep);
  }
  if (o && Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
  if (o && typeof o.Ref === 'string') return `<${o.Ref}>`;
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}
