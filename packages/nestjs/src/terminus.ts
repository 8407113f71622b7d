/**
 * `@ai-failover/nestjs/terminus`: the `@nestjs/terminus` health indicator. A separate entry point,
 * so apps that do not use terminus never load it.
 */
export {
  type AiFailoverHealthDetails,
  AiFailoverHealthIndicator,
  type AiFailoverReadinessDetails,
} from './ai-failover.health-indicator';
