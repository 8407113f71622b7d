/**
 * `@ai-failover/testing/support`: the set-up the ai-failover packages' own tests share (mock
 * providers with a config over them, requests, SSE parsing, open-handle counts). Usable in an app's
 * tests too; `@ai-failover/core` is needed for its config types.
 */

export { activeResources, sleep } from './process';
export { APP_TOKEN, hello, type MockProviders, post, providers } from './providers';
export { type ParsedSseEvent, parseSse } from './sse';
