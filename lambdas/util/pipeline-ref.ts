import * as z from 'zod';

/** A reference to a pipeline by name (drill scenarios, operator input): the config's name format. */
export const pipelineRef = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a pipeline name from the config');
