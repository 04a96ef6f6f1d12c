/**
 * The OpenAPI description of webhook subscriptions and their delivery log (README: Webhooks).
 * Merged into the document's paths and schemas.
 */
import {
  PACKAGE_NAME_PATTERN,
  WEBHOOK_EVENTS,
  WEBHOOK_SECRET_MAX_LENGTH,
  WEBHOOK_SECRET_MIN_LENGTH,
} from '@wharf/domain';
import { body, errorsFrom, ok, path, ref } from './openapi-builders';

const ERRORS: Record<number, string> = {
  400: 'Invalid request (invalid-usage, invalid-name); nothing is written',
  401: 'No valid credentials (unauthorized-access)',
  403: 'The caller is not an admin of the namespace (forbidden)',
  404: 'No such namespace (account-not-found), subscription or delivery (webhook-not-found)',
  501: 'This profile delivers no webhooks (unsupported)',
};
const errors = errorsFrom(ERRORS);

const params = [
  path('namespace', 'A user or organisation name', PACKAGE_NAME_PATTERN),
  path('id', 'The subscription id'),
];
const delivery = path('delivery', 'The delivery id');
const str = { type: 'string' };
const nullableStr = { type: ['string', 'null'] };
const events = { type: 'array', minItems: 1, items: { type: 'string', enum: [...WEBHOOK_EVENTS] } };
const secret = {
  type: 'string',
  minLength: WEBHOOK_SECRET_MIN_LENGTH,
  maxLength: WEBHOOK_SECRET_MAX_LENGTH,
  writeOnly: true,
  description:
    'Signing key (Standard Webhooks: webhook-signature = v1,base64(HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>"))). Write-only: never returned. A new one on PATCH rotates: the previous one signs too for 24 hours.',
};
const W = '/api/v1/namespaces/{namespace}/webhooks';

export const WEBHOOK_PATHS = {
  [W]: {
    get: {
      operationId: 'listWebhooks',
      parameters: [params[0]],
      responses: {
        200: ok("The namespace's subscriptions", { type: 'array', items: ref('Webhook') }),
        ...errors(401, 403, 404, 501),
      },
    },
    post: {
      operationId: 'createWebhook',
      description:
        'Subscribes a URL to changes of the namespace (or of one package) from now on. Admins of the namespace only.',
      parameters: [params[0]],
      requestBody: body(ref('WebhookCreation')),
      responses: { 201: ok('Created', ref('Webhook')), ...errors(400, 401, 403, 404, 501) },
    },
  },
  [`${W}/{id}`]: {
    get: {
      operationId: 'getWebhook',
      parameters: params,
      responses: { 200: ok('The subscription', ref('Webhook')), ...errors(401, 403, 404, 501) },
    },
    patch: {
      operationId: 'updateWebhook',
      parameters: params,
      requestBody: body(ref('WebhookChange')),
      responses: { 200: ok('Changed', ref('Webhook')), ...errors(400, 401, 403, 404, 501) },
    },
    delete: {
      operationId: 'deleteWebhook',
      description: 'Deletes the subscription and cancels its pending deliveries.',
      parameters: params,
      responses: { 200: ok('Deleted', { type: 'object', properties: { status: str } }), ...errors(401, 403, 404, 501) },
    },
  },
  [`${W}/{id}/pause`]: {
    post: {
      operationId: 'pauseWebhook',
      description: 'Stops deliveries; events that happen while paused are not delivered.',
      parameters: params,
      responses: { 200: ok('Paused', ref('Webhook')), ...errors(401, 403, 404, 501) },
    },
  },
  [`${W}/{id}/resume`]: {
    post: {
      operationId: 'resumeWebhook',
      description:
        'Delivers again, and lifts a failing mark: the waiting deliveries are tried again with fresh retries.',
      parameters: params,
      responses: { 200: ok('Resumed', ref('Webhook')), ...errors(401, 403, 404, 501) },
    },
  },
  [`${W}/{id}/deliveries`]: {
    get: {
      operationId: 'listWebhookDeliveries',
      parameters: [
        ...params,
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
        { name: 'before', in: 'query', description: 'Deliveries with ids below this one (next page)', schema: str },
      ],
      responses: {
        200: ok('Deliveries, newest first, each with its last attempts', {
          type: 'array',
          items: ref('WebhookDelivery'),
        }),
        ...errors(400, 401, 403, 404, 501),
      },
    },
  },
  [`${W}/{id}/deliveries/{delivery}`]: {
    get: {
      operationId: 'getWebhookDelivery',
      parameters: [...params, delivery],
      responses: {
        200: ok('The delivery with every attempt and its CloudEvent', ref('WebhookDelivery')),
        ...errors(401, 403, 404, 501),
      },
    },
  },
  [`${W}/{id}/deliveries/{delivery}/redeliver`]: {
    post: {
      operationId: 'redeliverWebhook',
      description: "Sends the delivery again (same CloudEvent, same webhook-id), ahead of its package's later events.",
      parameters: [...params, delivery],
      responses: { 202: ok('Queued', ref('WebhookDelivery')), ...errors(401, 403, 404, 501) },
    },
  },
};

export const WEBHOOK_SCHEMAS = {
  WebhookCreation: {
    type: 'object',
    required: ['url', 'events', 'secret'],
    additionalProperties: false,
    properties: {
      url: {
        type: 'string',
        format: 'uri',
        description: 'http(s); addresses that are not public are refused when sending unless the operator allows them',
      },
      events,
      package: {
        ...nullableStr,
        description: 'One package of the namespace (name or <ns>/<name>); absent or null: all',
      },
      secret,
    },
  },
  WebhookChange: {
    type: 'object',
    minProperties: 1,
    additionalProperties: false,
    properties: { url: { type: 'string', format: 'uri' }, events, package: nullableStr, secret },
  },
  Webhook: {
    type: 'object',
    required: ['id', 'url', 'events', 'package', 'active', 'failing', 'created_at', 'updated_at'],
    properties: {
      id: str,
      url: str,
      events,
      package: nullableStr,
      active: { type: 'boolean' },
      failing: {
        type: 'boolean',
        description:
          'A delivery used up its retries; deliveries wait (WHARF_WEBHOOK_WHEN_FAILING=drop: are dropped) until resumed or redelivered',
      },
      failing_since: nullableStr,
      pending_deliveries: { type: 'integer' },
      previous_secret_valid_until: nullableStr,
      created_at: str,
      updated_at: str,
    },
  },
  WebhookDelivery: {
    type: 'object',
    required: ['id', 'event_id', 'event_type', 'package', 'state', 'tries', 'attempts'],
    properties: {
      id: str,
      event_id: {
        type: 'string',
        description: 'The CloudEvent id and webhook-id: the log event id, the same on every attempt',
      },
      event_type: str,
      package: str,
      state: { type: 'string', enum: ['pending', 'delivered', 'cancelled', 'dropped'] },
      tries: { type: 'integer' },
      created_at: str,
      next_attempt_at: nullableStr,
      delivered_at: nullableStr,
      attempts: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            at: str,
            status: { type: ['integer', 'null'] },
            latency_ms: { type: 'integer' },
            error: nullableStr,
            response: { type: 'string', description: 'The first KiB of the answer' },
          },
        },
      },
      payload: {
        type: 'object',
        description: 'The CloudEvent (application/cloudevents+json), on the single delivery only',
      },
    },
  },
};
