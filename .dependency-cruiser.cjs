// The layering of DESIGN.md ("folders are layers"), enforced inside `npm test`.
// An arrow there means "may import"; every rule below forbids one arrow that is not drawn.
/** @type {import('dependency-cruiser').IDependencyCruiserConfig} */
module.exports = {
  forbidden: [
    { name: 'hw-is-the-bottom', comment: 'hw/ imports nothing of the project',
      severity: 'error', from: { path: '^hw/' }, to: { path: '^(ringbuf|hypervisor|dom0|host|guests|lab)/' } },
    { name: 'ringbuf-is-standalone', comment: 'ringbuf/ knows nothing but bytes',
      severity: 'error', from: { path: '^ringbuf/' }, to: { path: '^(hw|hypervisor|dom0|host|guests|lab)/' } },
    { name: 'hypervisor-sees-only-hw', comment: 'the hypervisor never reads a ring, never calls dom0 or a guest',
      severity: 'error', from: { path: '^hypervisor/' }, to: { path: '^(ringbuf|dom0|host|guests|lab)/' } },
    { name: 'public-abi-is-pure', comment: 'hypervisor/public/ is the ABI headers: it imports nothing',
      severity: 'error', from: { path: '^hypervisor/public/' }, to: { path: '^(hw|ringbuf|dom0|host|guests|lab)/|^hypervisor/(?!public/)' } },
    { name: 'dom0-uses-only-the-abi', comment: 'dom0 sees the hypervisor only through its public ABI, and never a guest',
      severity: 'error', from: { path: '^dom0/' }, to: { path: '^(host|guests|lab)/|^hypervisor/(?!public/)' } },
    { name: 'guests-use-only-the-abi', comment: 'guests see the hypervisor only through its public ABI, and never dom0 or the KVM host side',
      severity: 'error', from: { path: '^guests/' }, to: { path: '^(dom0|host|lab)/|^hypervisor/(?!public/)' } },
    { name: 'host-uses-only-the-abi', comment: "a KVM host's user space and vhost (host/) are dom0's peer: the public ABI, rings and hw, never a guest or dom0",
      severity: 'error', from: { path: '^host/' }, to: { path: '^(dom0|guests|lab)/|^hypervisor/(?!public/)' } },
    { name: 'nothing-imports-lab', comment: 'lab/ wires everything together; nothing imports it',
      severity: 'error', from: { path: '^(hw|ringbuf|hypervisor|dom0|host|guests)/' }, to: { path: '^lab/' } },
    { name: 'no-circular', comment: 'type-only cycles (a Domain knows its Vcpu type and back) cost nothing at run time',
      severity: 'error', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(hw|ringbuf|hypervisor|dom0|host|guests|lab|bench)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.test\\.ts$' },
  },
};
