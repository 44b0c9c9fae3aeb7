/**
 * ListGroups (key 16), versions 0-4, flexible from 3.
 * Request: statesFilter (v4+; empty = all states).
 * Response: throttleTimeMs (v1+), errorCode, groups[groupId, protocolType, groupState (v4+)].
 * (v5 adds typesFilter / groupType; we stop at 4.)
 */
import { f, type ApiDef } from '../schema.js';

export const listGroupsApi: ApiDef = {
  apiKey: 16,
  name: 'ListGroups',
  versionMin: 0,
  versionMax: 4,
  flexibleMin: 3,
  request: [f('statesFilter', 'string[]', '4+')],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16'),
    f('groups', [f('groupId', 'string'), f('protocolType', 'string'), f('groupState', 'string', '4+')]),
  ],
};

export interface ListGroupsRequest {
  statesFilter: string[];
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: Array<{ groupId: string; protocolType: string; groupState: string }>;
}
