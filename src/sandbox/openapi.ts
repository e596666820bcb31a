import { z } from 'zod';
import { errorBodySchema } from './httpErrors';
import type { RouteSpec } from './routeSpec';

export interface ApiInfo {
  title: string;
  version: string;
  description: string;
}

type JsonSchema = Record<string, unknown>;

/**
 * Converts a zod schema to the JSON Schema dialect of OpenAPI 3.1 (draft 2020-12). Requests are
 * documented as the client must send them (`io: 'input'`: defaults optional, query strings as
 * strings or numbers before coercion), responses as the server produces them.
 */
function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const converted = z.toJSONSchema(schema, { io, unrepresentable: 'any', reused: 'inline' }) as JsonSchema;
  delete converted.$schema;
  return converted;
}

/** `/api/products/:id` → `/api/products/{id}` */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const objectSchema = toJsonSchema(schema, 'input');
  const properties = (objectSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((objectSchema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(description === undefined ? {} : { description }),
      schema: propertySchema,
    };
  });
}

function jsonContent(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return { 'application/json': { schema: toJsonSchema(schema, io) } };
}

function operation(spec: RouteSpec): JsonSchema {
  const responses = Object.fromEntries(
    Object.entries(spec.responses).map(([status, response]) => [
      status,
      {
        description: response.description,
        ...(response.schema === undefined ? {} : { content: jsonContent(response.schema, 'output') }),
      },
    ]),
  );
  return {
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...(spec.tags === undefined ? {} : { tags: spec.tags }),
    ...(spec.secured ? { security: [{ bearerAuth: [] }] } : { security: [] }),
    parameters: [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')],
    ...(spec.body === undefined ? {} : { requestBody: { required: true, content: jsonContent(spec.body, 'input') } }),
    responses,
  };
}

/** Builds the OpenAPI 3.1 document of a sandbox service from its route specs. */
export function buildOpenApiDocument(info: ApiInfo, routes: readonly RouteSpec[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of routes) {
    const path = openApiPath(spec.url);
    paths[path] = { ...paths[path], [spec.method.toLowerCase()]: operation(spec) };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: toJsonSchema(errorBodySchema, 'output') },
    },
    security: [{ bearerAuth: [] }],
  };
}
