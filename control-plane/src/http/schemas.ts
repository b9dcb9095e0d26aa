// Schemas shared by the modules: error bodies, path parameters, strict objects.
import { type TObject, type TProperties, Type } from '@sinclair/typebox';
import { errorCodes } from '../errors.ts';

/** An object that rejects nothing but drops unknown properties (AJV removeAdditional). */
export const Strict = <T extends TProperties>(
  properties: T,
  options: { description?: string } = {},
): TObject<T> => Type.Object(properties, { additionalProperties: false, ...options });

export const ErrorSchema = Type.Object(
  {
    code: Type.Union(errorCodes.map((code) => Type.Literal(code))),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'Error', description: 'Every error: a stable code, a human message, and details.' },
);

export const errorResponses = {
  400: Type.Ref('Error'),
  401: Type.Ref('Error'),
  403: Type.Ref('Error'),
  404: Type.Ref('Error'),
  409: Type.Ref('Error'),
  422: Type.Ref('Error'),
  429: Type.Ref('Error'),
  503: Type.Ref('Error'),
};

export const TenantId = Type.String({
  pattern: '^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$',
  description: 'Tenant id: a DNS label of at most 40 characters.',
});
export const DnsName = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', maxLength: 63 });
export const Uuid = Type.String({ format: 'uuid' });
export const Timestamp = Type.String({ format: 'date-time' });

export const TenantParams = Strict({ t: TenantId });
