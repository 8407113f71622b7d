/**
 * Checks of references between parts of an unvalidated config: unique provider ids, deployments
 * naming configured providers, fallbacks and the default model naming configured groups. Values
 * the schema rejects are skipped here, so each problem is reported once.
 */
import type { ConfigIssue } from '../errors';
import { unknownName } from './messages';
import { formatPath } from './paths';
import { asArray, asName, asRecord } from './records';
import { providerIdSchema } from './schema';

/** Every reference problem of `config` (an object not yet validated). */
export function checkReferences(config: Readonly<Record<string, unknown>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const providerIds = checkProviderIds(config.providers, issues);
  const groups = asRecord(config.models);
  const groupNames = groups ? Object.keys(groups) : [];
  for (const [name, group] of Object.entries(groups ?? {})) {
    const checked = asRecord(group);
    if (!checked) continue;
    checkDeployments(name, checked.deployments, providerIds, issues);
    checkGroupRefs(name, checked, groupNames, issues);
    checkExtraDeployment(name, 'canary', checked, providerIds, issues);
    checkExtraDeployment(name, 'shadow', checked, providerIds, issues);
  }
  const defaultModel = asName(config.defaultModel);
  if (defaultModel !== undefined && groupNames.length > 0 && !groupNames.includes(defaultModel)) {
    issues.push({ path: 'defaultModel', message: unknownName('model group', defaultModel, groupNames) });
  }
  return issues;
}

/** Reports duplicate ids; returns every id written (`undefined` if `providers` is no array). */
function checkProviderIds(providers: unknown, issues: ConfigIssue[]): ReadonlySet<string> | undefined {
  const list = asArray(providers);
  if (!list) return undefined;
  const ids = new Set<string>();
  const firstIndex = new Map<string, number>();
  list.forEach((provider, index) => {
    const id = asRecord(provider)?.id;
    if (typeof id !== 'string') return;
    ids.add(id);
    if (!providerIdSchema.safeParse(id).success) return;
    const first = firstIndex.get(id);
    if (first === undefined) firstIndex.set(id, index);
    else {
      issues.push({
        path: formatPath(['providers', index, 'id']),
        message: `duplicate provider id ${JSON.stringify(id)} (already used by providers[${first}]); ids must be unique`,
      });
    }
  });
  return ids;
}

function checkDeployments(
  group: string,
  deployments: unknown,
  providerIds: ReadonlySet<string> | undefined,
  issues: ConfigIssue[],
): void {
  const seen = new Map<string, number>();
  (asArray(deployments) ?? []).forEach((deployment, index) => {
    const fields = asRecord(deployment);
    const provider = asName(fields?.provider);
    const model = asName(fields?.model);
    if (provider === undefined) return;
    const path = ['models', group, 'deployments', index];
    if (providerIds && !providerIds.has(provider)) {
      issues.push({
        path: formatPath([...path, 'provider']),
        message: unknownName('provider', provider, [...providerIds]),
      });
    }
    if (model === undefined) return;
    const id = `${provider}/${model}`;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else {
      issues.push({
        path: formatPath(path),
        message: `duplicate deployment ${JSON.stringify(id)} (already listed as deployments[${first}]); list each provider/model once per group`,
      });
    }
  });
}

/** A canary's or shadow's deployment: a configured provider; a canary not already in the group. */
function checkExtraDeployment(
  group: string,
  kind: 'canary' | 'shadow',
  fields: Readonly<Record<string, unknown>>,
  providerIds: ReadonlySet<string> | undefined,
  issues: ConfigIssue[],
): void {
  const deployment = asRecord(asRecord(fields[kind])?.deployment);
  const provider = asName(deployment?.provider);
  if (provider === undefined) return;
  const path = ['models', group, kind, 'deployment'];
  if (providerIds && !providerIds.has(provider)) {
    issues.push({
      path: formatPath([...path, 'provider']),
      message: unknownName('provider', provider, [...providerIds]),
    });
  }
  const model = asName(deployment?.model);
  if (kind !== 'canary' || model === undefined) return;
  const index = (asArray(fields.deployments) ?? []).findIndex((d) => {
    const other = asRecord(d);
    return asName(other?.provider) === provider && asName(other?.model) === model;
  });
  if (index >= 0) {
    issues.push({
      path: formatPath(path),
      message: `${provider}/${model} is already deployments[${index}] of this group; a canary must be a deployment the group does not have yet`,
    });
  }
}

function checkGroupRefs(
  group: string,
  fields: Readonly<Record<string, unknown>>,
  groupNames: readonly string[],
  issues: ConfigIssue[],
): void {
  const listed = new Set<string>();
  (asArray(fields.fallbacks) ?? []).forEach((value, index) => {
    const name = asName(value);
    if (name === undefined) return;
    const path = formatPath(['models', group, 'fallbacks', index]);
    const problem = groupRefProblem(group, name, groupNames);
    if (problem) issues.push({ path, message: problem });
    else if (listed.has(name))
      issues.push({ path, message: `lists model group ${JSON.stringify(name)} twice` });
    listed.add(name);
  });
  const contextFallback = asName(fields.contextFallback);
  if (contextFallback === undefined) return;
  const problem = groupRefProblem(group, contextFallback, groupNames);
  if (problem) issues.push({ path: formatPath(['models', group, 'contextFallback']), message: problem });
}

function groupRefProblem(group: string, name: string, groupNames: readonly string[]): string | undefined {
  if (name === group) return `must name another model group, not its own group ${JSON.stringify(group)}`;
  return groupNames.includes(name) ? undefined : unknownName('model group', name, groupNames);
}
