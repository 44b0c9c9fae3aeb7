/**
 * SyncGroup (key 14), versions 0-5, flexible from 4.
 * Request: groupId, generationId, memberId, groupInstanceId (v3+), protocolType / protocolName (v5+),
 * assignments[memberId, assignment] (only the leader sends them).
 * Response: throttleTimeMs (v1+), errorCode, protocolType / protocolName (v5+), assignment.
 */
import { f, type ApiDef } from '../schema.js';

export const syncGroupApi: ApiDef = {
  apiKey: 14,
  name: 'SyncGroup',
  versionMin: 0,
  versionMax: 5,
  flexibleMin: 4,
  request: [
    f('groupId', 'string'),
    f('generationId', 'int32'),
    f('memberId', 'string'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('protocolType', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolName', 'string', '5+', { nullable: '5+', default: null }),
    f('assignments', [f('memberId', 'string'), f('assignment', 'bytes')]),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16'),
    f('protocolType', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolName', 'string', '5+', { nullable: '5+', default: null }),
    f('assignment', 'bytes'),
  ],
};

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}
