// The API's errors: one class with an HTTP status, a stable machine-readable code and, for bad
// input, the field at fault; and the one handler that turns every failure into
// `{ "error": { "code", "message", "field"? } }`.
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError, TollgateError } from '../errors/tollgate-error.js';

export class ApiError extends TollgateError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly field?: string,
  ) {
    super(code, message);
  }
}

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Machine-readable, stable.' }),
      message: z.string(),
      field: z.string().optional().meta({ description: 'The request field at fault.' }),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof errorBodySchema>;

export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/** Serializes an error body (for routes that bypass the zod serializer on success). */
export const errorSerializer = (data: unknown): string =>
  JSON.stringify(errorBodySchema.parse(data));

/** The usual error answers of an authenticated route, for its OpenAPI description. */
export const errorResponses = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
} as const;

const fastifyCodes: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
};

/** The fields of a zod validation issue as fastify-type-provider-zod hands it over. */
interface ValidationIssue {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message: string;
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send(errorBody('route_not_found', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`)),
  );

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issue = (err.validation as readonly ValidationIssue[])[0];
      const context = (err as { validationContext?: string }).validationContext ?? 'body';
      const path = (issue?.instancePath ?? '').replace(/^\//, '').split('/').filter(Boolean);
      const field = path.join('.') || context;
      const missing = issue?.keyword === 'invalid_type' && /received undefined/.test(issue.message);
      return reply
        .code(400)
        .send(
          errorBody(
            missing ? 'missing_field' : 'invalid_field',
            `${context} ${field}: ${issue?.message ?? 'is invalid'}`,
            field,
          ),
        );
    }
    if (err instanceof ApiError) {
      return reply.code(err.status).send(errorBody(err.code, err.message, err.field));
    }
    if (err instanceof InvalidInputError) {
      const field = err.context.field;
      return reply
        .code(400)
        .send(errorBody(err.code, err.message, typeof field === 'string' ? field : undefined));
    }
    if (err instanceof TollgateError && err.retriable) {
      req.log.warn({ err }, 'dependency failed during a request');
      return reply.code(503).send(errorBody('service_unavailable', err.message));
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = fastifyCodes[err.code] ?? 'bad_request';
      return reply.code(status).send(errorBody(code, err.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(errorBody('internal_error', 'internal error'));
  });
}
