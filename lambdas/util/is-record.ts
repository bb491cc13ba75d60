/** A plain object (not null, not an array): its string keys can be read as fields. */
export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
