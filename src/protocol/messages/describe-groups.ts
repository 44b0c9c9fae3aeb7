/**
 * DescribeGroups (key 15), versions 0-5, flexible from 5.
 * Request: groups (ids), includeAuthorizedOperations (v3+).
 * Response: throttleTimeMs (v1+), groups[errorCode, groupId, groupState, protocolType, protocolData
 * (the chosen protocol name), members[memberId, groupInstanceId (v4+), clientId, clientHost,
 * memberMetadata, memberAssignment], authorizedOperations (v3+)].
 * (v6 adds errorMessage; we stop at 5.)
 */
import { f, type ApiDef } from '../schema.js';

const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

export const describeGroupsApi: ApiDef = {
  apiKey: 15,
  name: 'DescribeGroups',
  versionMin: 0,
  versionMax: 5,
  flexibleMin: 5,
  request: [f('groups', 'string[]'), f('includeAuthorizedOperations', 'bool', '3+')],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('groups', [
      f('errorCode', 'int16'),
      f('groupId', 'string'),
      f('groupState', 'string'),
      f('protocolType', 'string'),
      f('protocolData', 'string'),
      f('members', [
        f('memberId', 'string'),
        f('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
        f('clientId', 'string'),
        f('clientHost', 'string'),
        f('memberMetadata', 'bytes'),
        f('memberAssignment', 'bytes'),
      ]),
      f('authorizedOperations', 'int32', '3+', { default: AUTHORIZED_OPERATIONS_UNKNOWN }),
    ]),
  ],
};

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: Array<{
    errorCode: number;
    groupId: string;
    groupState: string;
    protocolType: string;
    protocolData: string;
    members: DescribedGroupMember[];
    authorizedOperations: number;
  }>;
}
