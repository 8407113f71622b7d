/** Configuration: schema, defaults and resolution. */
export { type ConfigDefaults, DEFAULTS, type ProviderDefaults } from './defaults';
export { formatPath } from './paths';
export { resolveConfig } from './resolve';
export {
  apiKeySchema,
  configSchema,
  deploymentSchema,
  healthSchema,
  modelGroupSchema,
  type ParsedConfig,
  policySchema,
  providerSchema,
  ROUTING_STRATEGIES,
} from './schema';
