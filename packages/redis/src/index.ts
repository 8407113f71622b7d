/**
 * `@ai-failover/redis`: replicas of an app share what they learn about their LLM providers (open
 * breakers, keys and deployments cooling down) through Redis, so one replica's bad experience
 * spares the others the same failed calls.
 */
export { type Envelope, FORMAT_VERSION } from './codec';
export { defaultNamespace, type RedisSharingOptions, SHARING_DEFAULTS } from './options';
export { type RedisSharing, shareStateThroughRedis } from './share';
