import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import { DomainError } from '../../errors.ts';
import { errorHandler } from '../../http/error-handler.ts';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { principalOf } from '../../plugins/auth.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import {
  FlagOverrideBody,
  FlagOverrideView,
  FlagParams,
  OfrepBulk,
  OfrepFailure,
  OfrepKeyParams,
  OfrepRequest,
  OfrepSuccess,
  TenantFlags,
} from './flags.schemas.ts';
import { type FlagsService, toOfrep } from './flags.service.ts';

export const flagsRoutes: FastifyPluginAsyncTypebox<{ service: FlagsService }> = async (app, { service }) => {
  app.get(
    '/tenants/:t/flags',
    {
      config: { action: 'flags:read' },
      schema: { tags: ['flags'], params: TenantParams, response: { 200: TenantFlags, ...errorResponses } },
    },
    async (request) => service.forTenant(emOf(request), request.params.t),
  );

  app.put(
    '/tenants/:t/flags/:key',
    {
      config: { action: 'platform:flags' },
      schema: {
        tags: ['flags'],
        summary: 'Overrides a flag for one tenant (platform administrators; audited)',
        params: FlagParams,
        body: FlagOverrideBody,
        response: { 200: FlagOverrideView, ...errorResponses },
      },
    },
    async (request) =>
      service.setOverride(
        emOf(request),
        principalOf(request),
        request.params.t,
        request.params.key,
        request.body.value,
      ),
  );

  app.delete(
    '/tenants/:t/flags/:key',
    {
      config: { action: 'platform:flags' },
      schema: {
        tags: ['flags'],
        summary: "Removes a tenant's override: its tier decides again (platform administrators; audited)",
        params: FlagParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await service.removeOverride(emOf(request), principalOf(request), request.params.t, request.params.key);
      return reply.status(204).send(null);
    },
  );
};

/** OFREP evaluates for the key's own tenant; a platform administrator names one in `context.tenantId`. */
function ofrepTenant(request: FastifyRequest): string | undefined {
  const principal = request.principal;
  if (principal?.kind === 'api-key') return principal.tenantId;
  return (request.body as { context?: { tenantId?: string } } | undefined)?.context?.tenantId;
}

export const ofrepRoutes: FastifyPluginAsyncTypebox<{ service: FlagsService }> = async (app, { service }) => {
  const config = { action: 'flags:read', tenantOf: ofrepTenant } as const;
  // OFREP clients read a single flag's failure as { key, errorCode, errorDetails } (400 and 404 are
  // documented so): a request that fails validation, does not parse or names no tenant that exists
  // gets that shape, with the spec's codes, not ours.
  app.setErrorHandler((error, request, reply) => {
    const key = (request.params as { key?: unknown } | undefined)?.key;
    const failure = error as FastifyError;
    const status =
      error instanceof DomainError ? error.status : failure.validation ? 400 : failure.statusCode;
    if (typeof key === 'string' && (status === 400 || status === 404)) {
      const unparsable = failure.code === 'FST_ERR_CTP_INVALID_JSON_BODY';
      return reply.status(400).send({
        key,
        errorCode: unparsable ? 'PARSE_ERROR' : 'INVALID_CONTEXT',
        errorDetails: failure.message,
      });
    }
    return errorHandler.call(app, error, request, reply);
  });
  app.post(
    '/evaluate/flags/:key',
    {
      config,
      schema: {
        tags: ['ofrep'],
        params: OfrepKeyParams,
        body: OfrepRequest,
        response: {
          200: OfrepSuccess,
          400: OfrepFailure,
          404: OfrepFailure,
          401: errorResponses[401],
          429: errorResponses[429],
        },
      },
    },
    async (request, reply) => {
      const tenant = ofrepTenant(request);
      if (!tenant)
        return reply.status(400).send({
          key: request.params.key,
          errorCode: 'INVALID_CONTEXT',
          errorDetails: 'context.tenantId is required',
        });
      const evaluation = toOfrep(await service.evaluate(emOf(request), tenant, request.params.key));
      const status =
        'errorCode' in evaluation ? (evaluation.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400) : 200;
      return reply.status(status).send(evaluation);
    },
  );

  app.post(
    '/evaluate/flags',
    {
      config,
      schema: { tags: ['ofrep'], body: OfrepRequest, response: { 200: OfrepBulk, ...errorResponses } },
    },
    async (request, reply) => {
      const tenant = ofrepTenant(request);
      if (!tenant)
        return reply.status(400).send({ code: 'invalid_request', message: 'context.tenantId is required' });
      return { flags: (await service.evaluateAll(emOf(request), tenant)).map(toOfrep) };
    },
  );
};
