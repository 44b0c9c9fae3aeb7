/**
 * ApiVersions: advertises exactly the handler table's keys and version ranges (nothing else), so a
 * client never negotiates an API we do not implement.
 */
import { apiVersionsApi, type ApiVersionsRequest, type ApiVersionsResponse } from '../protocol/messages/api-versions.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { defineHandler, type BrokerContext } from './handler.js';

export function apiVersionsBody(broker: BrokerContext): ApiVersionsResponse {
  const apiKeys = [...broker.handlers.values()]
    .map((h) => ({ apiKey: h.api.apiKey, minVersion: h.versionMin, maxVersion: h.versionMax }))
    .sort((a, b) => a.apiKey - b.apiKey);
  return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 };
}

export const apiVersionsHandler = defineHandler<ApiVersionsRequest, ApiVersionsResponse>(apiVersionsApi, (ctx) =>
  apiVersionsBody(ctx.broker),
);
