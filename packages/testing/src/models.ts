const CREATED = 1_700_000_000;

/** A `model` object. */
export function modelObject(id: string, ownedBy: string): Record<string, unknown> {
  return { id, object: 'model', created: CREATED, owned_by: ownedBy };
}

/** The `GET /v1/models` response. */
export function modelsList(models: readonly string[], ownedBy: string): Record<string, unknown> {
  return { object: 'list', data: models.map((id) => modelObject(id, ownedBy)) };
}
