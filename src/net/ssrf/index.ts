export { createSsrfGuard, type SsrfGuardOptions } from './guard.js';
export { checkAddress, isIpLiteral, type AddressVerdict } from './ipPolicy.js';
export { vetUrl, systemLookup, normaliseHost, type LookupFn, type VettedTarget, type VetOptions } from './vetUrl.js';
export { pinnedAgent, type ConnectHook, type ConnectTarget } from './pinnedAgent.js';
export { UnsafeUrlError, type UnsafeUrlReason } from './UnsafeUrlError.js';
