import { configJsonSchema } from '../lambdas/schema';

/** `streamfix schema`: the JSON Schema of streamfix.config.ts, for editors. */
export async function schemaCommand(args: string[]): Promise<number> {
  if (args.length > 0) {
    process.stderr.write('usage: streamfix schema > streamfix.config.schema.json\n');
    return 2;
  }
  process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}
