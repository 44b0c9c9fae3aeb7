/**
 * Heartbeat (key 12), versions 0-4, flexible from 4. Classic group membership keep-alive.
 * Request: groupId, generationId, memberId, groupInstanceId (v3+).
 * Response: throttleTimeMs (v1+), errorCode.
 */
import { f, type ApiDef } from '../schema.js';

export const heartbeatApi: ApiDef = {
  apiKey: 12,
  name: 'Heartbeat',
  versionMin: 0,
  versionMax: 4,
  flexibleMin: 4,
  request: [
    f('groupId', 'string'),
    f('generationId', 'int32'),
    f('memberId', 'string'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  ],
  response: [f('throttleTimeMs', 'int32', '1+'), f('errorCode', 'int16')],
};

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
}
