/**
 * DeleteGroups (key 42), versions 0-2, flexible from 2.
 * Request: groupsNames. Response: throttleTimeMs, results[groupId, errorCode].
 */
import { f, type ApiDef } from '../schema.js';

export const deleteGroupsApi: ApiDef = {
  apiKey: 42,
  name: 'DeleteGroups',
  versionMin: 0,
  versionMax: 2,
  flexibleMin: 2,
  request: [f('groupsNames', 'string[]')],
  response: [f('throttleTimeMs', 'int32'), f('results', [f('groupId', 'string'), f('errorCode', 'int16')])],
};

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: Array<{ groupId: string; errorCode: number }>;
}
