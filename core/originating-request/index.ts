/** Encoding and decoding of `Meta.OriginatingRequest` (the inbound request in HTTP/1.1 wire form, base64). */
export {
  DEFAULT_ORIGINATING_REQUEST_MAX_BYTES,
  encodeOriginatingRequest,
  encodeOriginatingRequestSync,
  originatingRequestWireForm,
  type EncodeOriginatingRequestOptions,
  type HeaderInput,
  type OriginatingRequestInput,
  type PlainRequest,
} from './encode-originating-request.ts';
export { decodeOriginatingRequest, parseRequestWire, type DecodeOriginatingRequestOptions, type DecodedRequest } from './decode-originating-request.ts';
