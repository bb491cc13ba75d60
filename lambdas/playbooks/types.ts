/** The playbook contract lives in core (the engine depends on it, never on a playbook). */
export * from '../core/playbook';
