/** Names of what the stack creates, shared by lib/ (creating) and the engine (routing). */

export const alarmName = (prefix: string, pipeline: string, playbook: string, signal: string): string =>
  `${prefix}-${pipeline}-${playbook}-${signal}`;

export const pauseParameterName = (prefix: string): string => `/${prefix}/pause`;
export const pipelinePauseParameterPrefix = (prefix: string): string => `/${prefix}/pause/`;

export const functionName = (prefix: string, playbook: string): string => `${prefix}-${playbook}`;
