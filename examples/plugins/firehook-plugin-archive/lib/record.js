// @ts-check
/**
 * One archive line per event: Tyk's `{Type, Meta, TimeStamp}` (what post-processing tools already
 * read) plus the API context and an RFC 3339 time, and optionally the originating request decoded
 * from `Meta.OriginatingRequest` (base64 of the HTTP/1.1 wire form) with Firehook's decoder.
 */
import { decodeOriginatingRequest } from 'firehook/plugin';

/**
 * `raw`: Meta as received; `decoded`: `request` instead of the base64 in Meta; `both`: both;
 * `omit`: neither.
 * @typedef {'raw' | 'decoded' | 'both' | 'omit'} RequestMode
 */

/**
 * @typedef {object} DecodedRequestRecord
 * @property {string} method
 * @property {string} url
 * @property {string} http_version
 * @property {[string, string][]} headers Wire order, names as sent, repeats kept.
 * @property {string} body
 * @property {'utf8' | 'base64'} body_encoding `base64` when the body is not valid UTF-8.
 */

/**
 * @param {import('firehook').EventMessage} event
 * @param {RequestMode} mode
 * @param {number} maxRequestBytes cap on the decoded request
 * @returns {Record<string, unknown>}
 */
export function archiveRecord(event, mode, maxRequestBytes) {
  const raw = event.Meta.OriginatingRequest;
  const hasRequest = typeof raw === 'string' && raw !== '';
  /** @type {Record<string, unknown>} */
  let meta = event.Meta;
  /** @type {Record<string, unknown>} */
  const extra = {};
  if (hasRequest && (mode === 'decoded' || mode === 'both')) {
    try {
      extra.request = requestRecord(decodeOriginatingRequest(raw, { maxBytes: maxRequestBytes }));
      if (mode === 'decoded') meta = withoutRequest(meta);
    } catch (error) {
      // Keep the base64 so nothing is lost; say why it could not be decoded.
      extra.request_error = `${/** @type {{code?: string}} */ (error).code ?? 'ERROR'}: ${/** @type {Error} */ (error).message}`;
    }
  } else if (hasRequest && mode === 'omit') {
    meta = withoutRequest(meta);
  }
  return {
    time: new Date(event.time).toISOString(),
    api_id: event.apiId,
    org_id: event.orgId,
    Type: event.Type,
    Meta: meta,
    TimeStamp: event.TimeStamp,
    ...extra,
  };
}

/** @param {Record<string, unknown>} meta */
function withoutRequest(meta) {
  const { OriginatingRequest: _dropped, ...rest } = meta;
  return rest;
}

/**
 * @param {import('firehook').DecodedRequest} decoded
 * @returns {DecodedRequestRecord}
 */
function requestRecord(decoded) {
  const text = decoded.body.toString('utf8');
  const utf8 = Buffer.from(text, 'utf8').equals(decoded.body);
  return {
    method: decoded.method,
    url: decoded.url,
    http_version: decoded.httpVersion,
    headers: decoded.headers,
    body: utf8 ? text : decoded.body.toString('base64'),
    body_encoding: utf8 ? 'utf8' : 'base64',
  };
}
