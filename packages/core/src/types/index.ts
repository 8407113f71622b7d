/**
 * Every type of the package, by audience: the configuration an app writes (derived from the zod
 * schema), the OpenAI wire shapes, call options and results, reports, and the resolved
 * configuration (internal: the package root does not export it).
 */
export type * from './calls';
export type * from './config';
export type * from './reports';
export type * from './resolved';
export type * from './wire';
