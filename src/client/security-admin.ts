/**
 * Admin calls for ACLs and client quotas (CreateAcls, DescribeAcls, DeleteAcls,
 * DescribeClientQuotas, AlterClientQuotas), kept beside admin.ts: the kafka-acls tool and
 * kafka-configs' users/clients entities use them. Each request goes to any broker (they all share
 * the store). Errors come back as KafkaError.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { createAclsApi, type AclCreation, type CreateAclsResponse } from '../protocol/messages/create-acls.js';
import { deleteAclsApi, type AclFilterFields, type DeleteAclsMatchingAcl, type DeleteAclsResponse } from '../protocol/messages/delete-acls.js';
import { describeAclsApi, type DescribeAclsResource, type DescribeAclsResponse } from '../protocol/messages/describe-acls.js';
import { describeClientQuotasApi, type DescribeClientQuotasResponse, type QuotaEntityPart } from '../protocol/messages/describe-client-quotas.js';
import { alterClientQuotasApi, type AlterClientQuotasResponse } from '../protocol/messages/alter-client-quotas.js';
import type { KafkaClient } from './client.js';
import { KafkaError } from './errors.js';

export type { AclCreation, AclFilterFields, DescribeAclsResource, DeleteAclsMatchingAcl, QuotaEntityPart };

/** One error (or null) per creation, in order. */
export async function createAcls(client: KafkaClient, creations: AclCreation[]): Promise<Array<KafkaError | null>> {
  const res = await client.requestAny<CreateAclsResponse>(createAclsApi, { creations });
  return res.results.map((r) => (r.errorCode === ErrorCode.NONE ? null : new KafkaError(r.errorCode, r.errorMessage)));
}

export async function describeAcls(client: KafkaClient, filter: AclFilterFields): Promise<DescribeAclsResource[]> {
  const res = await client.requestAny<DescribeAclsResponse>(describeAclsApi, filter);
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage);
  return res.resources;
}

/** The ACLs removed, per filter; a filter's own error is thrown. */
export async function deleteAcls(client: KafkaClient, filters: AclFilterFields[]): Promise<DeleteAclsMatchingAcl[][]> {
  const res = await client.requestAny<DeleteAclsResponse>(deleteAclsApi, { filters });
  return res.filterResults.map((r) => {
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage);
    const failed = r.matchingAcls.find((m) => m.errorCode !== ErrorCode.NONE);
    if (failed) throw new KafkaError(failed.errorCode, failed.errorMessage);
    return r.matchingAcls;
  });
}

export interface QuotaFilterComponent {
  entityType: string;
  /** 0 exact, 1 default, 2 any. */
  matchType: number;
  match: string | null;
}

export async function describeClientQuotas(client: KafkaClient, components: QuotaFilterComponent[], strict: boolean): Promise<Array<{ entity: QuotaEntityPart[]; values: Record<string, number> }>> {
  const res = await client.requestAny<DescribeClientQuotasResponse>(describeClientQuotasApi, { components, strict });
  if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage);
  return (res.entries ?? []).map((e) => ({ entity: e.entity, values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) }));
}

export async function alterClientQuotas(client: KafkaClient, entity: QuotaEntityPart[], ops: Array<{ key: string; value: number; remove: boolean }>, validateOnly = false): Promise<void> {
  const res = await client.requestAny<AlterClientQuotasResponse>(alterClientQuotasApi, { entries: [{ entity, ops }], validateOnly });
  const r = res.entries[0];
  if (r && r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage);
}
