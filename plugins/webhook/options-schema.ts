import { deliveryOptionProperties, headerValue, HTTP_TOKEN_PATTERN, type HandlerDeliveryConfig, type JsonSchema } from '../../core/plugin-api.ts';

/** Methods Tyk accepts for a webhook (upper-cased; empty means GET). */
const WEBHOOK_METHODS = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;

/**
 * The webhook handler's options after `normalize` (Classic and OAS map onto these names), plus
 * Firehook's delivery options (unset ones come from the gateway's `webhooks` defaults).
 */
export interface WebhookOptions extends HandlerDeliveryConfig {
  method: (typeof WEBHOOK_METHODS)[number];
  /** Absent only for a reference to a global webhook (`id` alone). */
  target_path?: string;
  /** `""`: the gateway's `<template_path>/default_webhook.json`. */
  template_path: string;
  header_map: Record<string, string>;
  /** Cooldown in whole seconds; 0 = none. */
  event_timeout: number;
  name?: string;
  id?: string;
  disabled: boolean;
}

const TOKEN = HTTP_TOKEN_PATTERN;

export const webhookOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  // target_path may be absent for a global webhook reference (`id` alone); normalize checks that.
  required: ['method', 'template_path', 'header_map', 'event_timeout', 'disabled'],
  properties: {
    method: { type: 'string', enum: [...WEBHOOK_METHODS] },
    target_path: {
      type: 'string',
      minLength: 1,
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+(?:[/?#]\\S*)?$',
      errorMessage: 'must be an absolute http:// or https:// URL',
    },
    template_path: { type: 'string' },
    header_map: {
      type: 'object',
      propertyNames: { pattern: TOKEN, errorMessage: 'must be a valid HTTP header name' },
      additionalProperties: headerValue(),
    },
    event_timeout: { type: 'integer', minimum: 0 },
    name: { type: 'string' },
    id: { type: 'string' },
    disabled: { type: 'boolean' },
    // Firehook's delivery options (durations: semantic checks happen in normalize).
    ...deliveryOptionProperties(),
  },
};

/** OAS `headers`: a list of `{name, value}`. */
export const oasHeadersSchema: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['name', 'value'],
    properties: { name: { type: 'string', pattern: TOKEN }, value: headerValue() },
  },
};
