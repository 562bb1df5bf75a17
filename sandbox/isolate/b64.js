// @ts-check
/*
 * Bootstrap part 2 of 6: UTF-8 and base64 written out in plain JavaScript, because a bare V8
 * context has neither `btoa` nor `TextEncoder`. Semantics follow Go's: strings are encoded as
 * UTF-8 (lone surrogates become U+FFFD), decoding accepts `\r` and `\n` anywhere, and each byte
 * of an invalid UTF-8 sequence decodes to one U+FFFD.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16ArrayCtor(128);
for (let i = 0; i < 128; i++) DECODE[i] = -1;
for (let i = 0; i < 64; i++) DECODE[code(ALPHABET, i)] = i;

/** @param {string} s @returns {[Uint8Array, number]} the bytes and how many of them are used */
function utf8Encode(s) {
  const n = s.length;
  const out = new Uint8ArrayCtor(n * 3);
  let p = 0;
  for (let i = 0; i < n; i++) {
    let c = code(s, i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = code(s, i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    if (c < 0x80) {
      out[p++] = c;
    } else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 63);
      out[p++] = 0x80 | (c & 63);
    } else {
      out[p++] = 0xf0 | (c >> 18);
      out[p++] = 0x80 | ((c >> 12) & 63);
      out[p++] = 0x80 | ((c >> 6) & 63);
      out[p++] = 0x80 | (c & 63);
    }
  }
  return [out, p];
}

/** @param {Uint8Array} bytes @param {number} len @param {boolean} pad @returns {string} */
function base64Encode(bytes, len, pad) {
  let out = '';
  let i = 0;
  for (; i + 2 < len; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = len - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + (pad ? '==' : '');
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + (pad ? '=' : '');
  }
  return out;
}

/** @param {string} s @param {boolean} padded @returns {[Uint8Array, number] | null} null when `s` is not valid base64 */
function base64Decode(s, padded) {
  const n = s.length;
  const out = new Uint8ArrayCtor(((n + 3) >> 2) * 3);
  let acc = 0;
  let bits = 0;
  let p = 0;
  let count = 0;
  let pads = 0;
  for (let i = 0; i < n; i++) {
    const c = code(s, i);
    if (c === 13 || c === 10) continue;
    if (c === 61) {
      if (!padded) return null;
      pads++;
      count++;
      continue;
    }
    if (pads > 0) return null;
    const v = c < 128 ? DECODE[c] : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    count++;
    if (bits >= 8) {
      bits -= 8;
      out[p++] = (acc >> bits) & 0xff;
    }
  }
  if (padded) {
    if (count % 4 !== 0 || pads > 2) return null;
    if (pads > 0 && ((count - pads) % 4) + pads !== 4) return null;
  } else if (count % 4 === 1) {
    return null;
  }
  return [out, p];
}

/** @param {Uint8Array} b @param {number} len @returns {string} */
function utf8Decode(b, len) {
  let out = '';
  const units = new Uint16ArrayCtor(4096);
  let u = 0;
  /** @param {number} x */
  function unit(x) {
    units[u++] = x;
    if (u === 4096) {
      out += ReflectApply(fromCharCode, undefined, units);
      u = 0;
    }
  }
  let i = 0;
  while (i < len) {
    const b0 = b[i];
    let need = 0;
    let cp = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 < 0x80) {
      unit(b0);
      i++;
      continue;
    }
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 === 0xe0) lo = 0xa0;
      if (b0 === 0xed) hi = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 === 0xf0) lo = 0x90;
      if (b0 === 0xf4) hi = 0x8f;
    } else {
      unit(0xfffd);
      i++;
      continue;
    }
    let ok = i + need < len;
    for (let k = 1; ok && k <= need; k++) {
      const bk = b[i + k];
      const min = k === 1 ? lo : 0x80;
      const max = k === 1 ? hi : 0xbf;
      if (bk < min || bk > max) ok = false;
      else cp = (cp << 6) | (bk & 0x3f);
    }
    if (!ok) {
      unit(0xfffd);
      i++;
      continue;
    }
    i += need + 1;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xd800 + (cp >> 10));
      unit(0xdc00 + (cp & 0x3ff));
    } else {
      unit(cp);
    }
  }
  if (u > 0) out += ReflectApply(fromCharCode, undefined, units.subarray(0, u));
  return out;
}
