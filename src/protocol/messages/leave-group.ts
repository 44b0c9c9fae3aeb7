/**
 * LeaveGroup (key 13), versions 0-5, flexible from 4.
 * Request: groupId; v0-2 memberId; v3+ members[memberId, groupInstanceId, reason (v5+)] (batch leave,
 * KIP-345).
 * Response: throttleTimeMs (v1+), errorCode, members (v3+)[memberId, groupInstanceId, errorCode].
 */
import { f, type ApiDef } from '../schema.js';

export const leaveGroupApi: ApiDef = {
  apiKey: 13,
  name: 'LeaveGroup',
  versionMin: 0,
  versionMax: 5,
  flexibleMin: 4,
  request: [
    f('groupId', 'string'),
    f('memberId', 'string', '0-2'),
    f(
      'members',
      [
        f('memberId', 'string'),
        f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
        f('reason', 'string', '5+', { nullable: '5+', default: null }),
      ],
      '3+',
    ),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16'),
    f(
      'members',
      [f('memberId', 'string'), f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }), f('errorCode', 'int16')],
      '3+',
    ),
  ],
};

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; reason: string | null }>;
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}
