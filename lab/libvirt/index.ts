// pvlab's libvirt: the management API over pvlab's hosts, one driver per hypervisor chosen by
// the URI (REFERENCE §10.3), the domain XML subset, and virsh. Import from here.
export { connect, defaultUri, hostConnection, hostHypervisor } from './connect';
export { Connection, type ListFlags } from './connection';
export { VirDomain, type DomainInfo } from './domain';
export type { Driver, NodeInfo, SchedParam, VcpuInfo } from './driver';
export { NET_DRIVERS, PVLAB_XMLNS, type DomainDef, type DiskDef, type InterfaceDef, type NetDriver, type OsType, type VirtType } from './def';
export { VIR_ERR, VIR_FROM, type VirError, type VirResult } from './errors';
export { REASON, VIR_DOMAIN, VIR_VCPU, reasonWord, stateWord, type VirDomainState } from './state';
export { parseDomainXML } from './xml-parse';
export { formatDomainXML } from './xml-format';
