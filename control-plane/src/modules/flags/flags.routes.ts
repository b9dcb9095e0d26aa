import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { errorResponses, TenantParams } from '../../http/schemas.ts';
import { emOf } from '../../plugins/infra/orm.ts';
import {
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
};

/** OFREP evaluates for the key's own tenant; a platform administrator names one in `context.tenantId`. */
function ofrepTenant(request: FastifyRequest): string | undefined {
  const principal = request.principal;
  if (principal?.kind === 'api-key') return principal.tenantId;
  return (request.body as { context?: { tenantId?: string } } | undefined)?.context?.tenantId;
}

export const ofrepRoutes: FastifyPluginAsyncTypebox<{ service: FlagsService }> = async (app, { service }) => {
  const config = { action: 'flags:read', tenantOf: ofrepTenant } as const;
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
