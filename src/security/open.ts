/**
 * Opens what a broker needs for authorization and quotas: the SecurityStore of its mode (ZooKeeper
 * nodes in ZooKeeper mode, the controller's metadata document in embedded and KRaft mode, memory
 * when a test scripts the cluster), the ACL authorizer when authorizer.class.name asks for it, and
 * the quota manager. Both follow the store's changes.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Controller } from '../cluster/controller.js';
import type { Coordination } from '../cluster/coordination/coordination.js';
import type { Clock } from '../io/clock.js';
import { AclAuthorizer } from './authorizer.js';
import { QuotaManager } from './quotas.js';
import { EmbeddedSecurityStore, type SecurityDocument, type SecurityDocumentHost, type SecurityStore } from './security-store.js';
import { securitySettings } from './settings.js';
import { ZkSecurityStore } from './zk-security-store.js';

export interface OpenedSecurity {
  store: SecurityStore;
  authorizer: AclAuthorizer | null;
  quotas: QuotaManager;
}

function isDocumentHost(c: unknown): c is SecurityDocumentHost {
  return typeof (c as Partial<SecurityDocumentHost>).saveSecurityDocument === 'function';
}

/** A store that lives only as long as the process (scripted test clusters without ZooKeeper). */
function memoryHost(): SecurityDocumentHost {
  let doc: SecurityDocument | undefined;
  return {
    get securityDocument() {
      return doc;
    },
    saveSecurityDocument: async (d) => {
      doc = d;
    },
  };
}

export async function openSecurity(opts: { config: BrokerConfig; controller: Controller; coordination: Coordination | undefined; clock: Clock; log: Logger }): Promise<OpenedSecurity> {
  const settings = securitySettings(opts.config);
  let store: SecurityStore;
  if (opts.coordination !== undefined) store = await ZkSecurityStore.open(opts.coordination, opts.clock, opts.log);
  else store = new EmbeddedSecurityStore(isDocumentHost(opts.controller) ? opts.controller : memoryHost());
  const authorizer = settings.aclAuthorizer ? new AclAuthorizer({ superUsers: settings.superUsers, allowEveryoneIfNoAclFound: settings.allowEveryoneIfNoAclFound }, store.state) : null;
  const quotas = new QuotaManager(opts.clock, settings.quotaWindowNum, settings.quotaWindowSizeMs, store.state);
  store.onChange((state) => {
    authorizer?.update(state);
    quotas.update(state);
  });
  if (authorizer) opts.log.info({ superUsers: settings.superUsers, allowEveryoneIfNoAclFound: settings.allowEveryoneIfNoAclFound, acls: store.state.acls.size }, 'ACL authorizer enabled');
  return { store, authorizer, quotas };
}
