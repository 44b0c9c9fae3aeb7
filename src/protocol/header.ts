/**
 * Request header v0-v2 and response header v0-v1.
 *   request v0: apiKey int16, apiVersion int16, correlationId int32
 *   request v1: + clientId nullable string (always the classic int16-length encoding)
 *   request v2: + tagged fields (used when the API version is flexible)
 *   response v0: correlationId int32; v1: + tagged fields (flexible versions, except ApiVersions,
 *   whose response header stays v0 so that a client that does not yet know our versions can read it).
 */
import { ApiKey } from './api-keys.js';
import { Reader, Writer } from './primitives.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads apiKey, apiVersion and correlationId: enough to answer even when the rest is unreadable. */
export function peekRequestHeader(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } | null {
  if (frame.length < 8) return null;
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

export function requestHeaderVersion(apiKey: number, flexible: boolean): number {
  if (apiKey === ApiKey.ControlledShutdown && !flexible) return 1;
  return flexible ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, flexible: boolean): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return flexible ? 1 : 0;
}

export function decodeRequestHeader(r: Reader, flexible: boolean): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.string(false, true);
  if (flexible) {
    // Tagged fields in the request header: none defined that we use; skip them.
    const count = r.uvarint();
    for (let i = 0; i < count; i++) {
      r.uvarint();
      r.skip(r.uvarint());
    }
  }
  return { apiKey, apiVersion, correlationId, clientId };
}

export function encodeRequestHeader(w: Writer, h: RequestHeader, flexible: boolean): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId).string(h.clientId, false);
  if (flexible) w.uvarint(0);
}

export function encodeResponseHeader(w: Writer, correlationId: number, headerVersion: number): void {
  w.int32(correlationId);
  if (headerVersion >= 1) w.uvarint(0);
}

export function decodeResponseHeader(r: Reader, headerVersion: number): number {
  const correlationId = r.int32();
  if (headerVersion >= 1) {
    const count = r.uvarint();
    for (let i = 0; i < count; i++) {
      r.uvarint();
      r.skip(r.uvarint());
    }
  }
  return correlationId;
}
