import * as z from 'zod';

/** auto: act within bounds; recommend: plan and tell, change nothing; off: record and ignore. */
export const modeSchema = z.enum(['auto', 'recommend', 'off']);
export type Mode = z.infer<typeof modeSchema>;
