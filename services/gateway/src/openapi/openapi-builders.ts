/**
 * The small builders every part of the OpenAPI document uses: JSON content, schema references,
 * answers, request bodies, path parameters, and error answers described by a part's own table.
 */
export const json = (schema: object) => ({ 'application/json': { schema } });
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const ok = (description: string, schema: object) => ({ description, content: json(schema) });
export const body = (schema: object) => ({ required: true, content: json(schema) });
/** An error answer: the project's error body (`Error`) under `description`. */
export const errorAnswer = (description: string) => ({ description, content: json(ref('Error')) });
export const path = (name: string, description: string, pattern?: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: pattern ? { type: 'string', pattern } : { type: 'string' },
});

/** `errors(400, 404)` for a part whose statuses are described by `table`. */
export function errorsFrom(table: Record<number, string>) {
  return (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), errorAnswer(table[s]!)]));
}
