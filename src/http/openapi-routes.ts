// GET /docs/json: the shop-facing API as an OpenAPI 3.1 document, generated from the same zod
// schemas that validate requests (handed in by the composition root, so this layer knows no
// feature), so the document cannot drift from what the service accepts.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/** The request schemas of the shop API, as the features validate them. */
export type ShopApiSchemas = { order: z.ZodType; deliveryDelayRequest: z.ZodType };

const ORDERS_LIMIT = 'SHOP_ORDERS_PER_MINUTE (POST /orders and POST /orders/batch together; a batch counts as one)';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });

const ErrorBody = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
  },
};

type JsonSchemaObject = { properties?: Record<string, JsonSchemaObject>; description?: string };

/** The order's schema, with what the deployment adds to it: the phone countries it accepts. */
function orderSchema(order: z.ZodType, phoneCountryCodes: readonly string[]) {
  const schema = json(order) as JsonSchemaObject;
  const phone = schema.properties?.buyer?.properties?.phone;
  if (phone)
    phone.description = `E.164, in a country this deployment delivers to: country code ${phoneCountryCodes.map((c) => `+${c}`).join(', ')} (PHONE_COUNTRY_CODES); others are refused with 400 naming buyer.phone`;
  return schema;
}

/** Long by design: the OpenAPI document as one literal, so it reads like the document it produces. */
function buildDocument(options: { schemas: ShopApiSchemas; phoneCountryCodes: readonly string[] }) {
  const errors = (...codes: number[]) =>
    Object.fromEntries(
      codes.map((c) => [
        String(c),
        { description: 'see error and message', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      ]),
    );
  const rateLimited = (limit: string) => ({
    description: `rate_limited: the seller made more than ${limit} requests to this server in the current minute; nothing was accepted. Retry-After is the seconds until the window renews`,
    headers: { 'retry-after': { schema: { type: 'integer', minimum: 1 } } },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const body = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
  return {
    openapi: '3.1.0',
    info: { title: 'order-actors', version: '1', description: 'Orders and delivery delays for shops. Authenticate with Authorization: Bearer <API key>.' },
    components: {
      securitySchemes: { sellerKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Order: orderSchema(options.schemas.order, options.phoneCountryCodes),
        OrderBatch: {
          type: 'object',
          required: ['orders'],
          additionalProperties: false,
          properties: { orders: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/components/schemas/Order' } } },
        },
        DeliveryDelayRequest: json(options.schemas.deliveryDelayRequest),
        Error: ErrorBody,
      },
    },
    security: [{ sellerKey: [] }],
    paths: {
      '/orders': {
        post: {
          summary: 'Submit an order; 202 once RabbitMQ confirmed it',
          requestBody: body('Order'),
          responses: {
            '202': { description: 'accepted' },
            '409': {
              description: 'order_id_taken: another seller already uses this orderId; nothing was queued (nothing else of that order is told)',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
            '429': rateLimited(ORDERS_LIMIT),
            ...errors(400, 401, 403, 413, 415, 503),
          },
        },
      },
      '/orders/batch': {
        post: {
          summary: 'Submit up to 1,000 orders; each is judged on its own',
          requestBody: body('OrderBatch'),
          responses: {
            '200': { description: 'per-order results; an order whose orderId another seller uses is rejected with an issue on orderId' },
            '429': rateLimited(ORDERS_LIMIT),
            ...errors(400, 401, 413, 503),
          },
        },
      },
      '/orders/{orderId}': {
        get: {
          summary: 'The order, its totals, status and journal',
          parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'the order' }, ...errors(400, 401, 404) },
        },
      },
      '/orders/{orderId}/trace': {
        get: {
          summary: 'Every hop of the order in time order',
          parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'the hops' }, ...errors(400, 401, 404) },
        },
      },
      '/delivery-delays': {
        post: {
          summary: "Tell every buyer of the seller's orders due that day about a delay",
          requestBody: body('DeliveryDelayRequest'),
          responses: {
            '202': { description: 'accepted, with the number of orders' },
            '429': {
              description:
                'daily_notice_quota: the delay would take the seller past DELAY_NOTICES_PER_DAY buyers told today (UTC); nothing was created; Retry-After is the time to midnight UTC. Or rate_limited: the seller made more than SHOP_DELAYS_PER_MINUTE delay requests to this server in the current minute; Retry-After says when the window renews',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
            },
            ...errors(400, 401, 403, 503),
          },
        },
      },
      '/delivery-delays/{delayId}': {
        get: {
          summary: 'Progress of a delivery delay',
          parameters: [{ name: 'delayId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'progress' }, ...errors(400, 401, 404) },
        },
      },
    },
  };
}

export function openApiRoutes(options: { schemas: ShopApiSchemas; phoneCountryCodes: readonly string[] }) {
  const document = buildDocument(options);
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/docs/json', async () => document);
  };
}
