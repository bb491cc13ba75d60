/** Names of what the stack creates, shared by lib/ (creating) and the engine (routing). */

export const alarmName = (prefix: string, pipeline: string, playbook: string, signal: string): string => `${prefix}-${pipeline}-${playbook}-${signal}`;

export const pauseParameterName = (prefix: string): string => `/${prefix}/pause`;
export const pipelinePauseParameterPrefix = (prefix: string): string => `/${prefix}/pause/`;

/** The pause parameters a playbook function reads for these pipelines: the global one, then each pipeline's. */
export const pauseParameterNames = (prefix: string, pipelines: readonly string[]): string[] => [
  pauseParameterName(prefix),
  ...pipelines.map((p) => `${pipelinePauseParameterPrefix(prefix)}${p}`),
];

export const functionName = (prefix: string, playbook: string): string => `${prefix}-${playbook}`;

/** The stack's CloudWatch dashboard of a pipeline (dashboard names: letters, digits, `-` and `_`, at most 255). */
export const dashboardName = (prefix: string, pipeline: string): string => `${prefix}-${pipeline}`;
