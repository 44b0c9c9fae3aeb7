/**
 * JoinGroup (key 11), versions 0-9, flexible from 6.
 * Request: groupId, sessionTimeoutMs, rebalanceTimeoutMs (v1+), memberId, groupInstanceId (v5+, static
 * membership), protocolType, protocols[name, metadata], reason (v8+).
 * Response: throttleTimeMs (v2+), errorCode, generationId, protocolType (v7+), protocolName (nullable
 * from v7), leader, skipAssignment (v9+), memberId, members[memberId, groupInstanceId (v5+), metadata].
 */
import { f, type ApiDef } from '../schema.js';

export const joinGroupApi: ApiDef = {
  apiKey: 11,
  name: 'JoinGroup',
  versionMin: 0,
  versionMax: 9,
  flexibleMin: 6,
  request: [
    f('groupId', 'string'),
    f('sessionTimeoutMs', 'int32'),
    f('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    f('memberId', 'string'),
    f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
    f('protocolType', 'string'),
    f('protocols', [f('name', 'string'), f('metadata', 'bytes')]),
    f('reason', 'string', '8+', { nullable: '8+', default: null }),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('errorCode', 'int16'),
    f('generationId', 'int32', '0+', { default: -1 }),
    f('protocolType', 'string', '7+', { nullable: '7+', default: null }),
    f('protocolName', 'string', '0+', { nullable: '7+' }),
    f('leader', 'string'),
    f('skipAssignment', 'bool', '9+'),
    f('memberId', 'string'),
    f('members', [
      f('memberId', 'string'),
      f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
      f('metadata', 'bytes'),
    ]),
  ],
};

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  reason: string | null;
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}
