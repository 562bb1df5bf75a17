export { createEgressAgent, createEgressConnector, undiciDispatcher } from './egress-agent.ts';
export { createEgressDispatcher, type EgressDispatcher, type EgressDispatcherOptions } from './egress-dispatcher.ts';
export {
  checkTargetUrl,
  createEgressPolicy,
  createGuardedLookup,
  EgressDeniedError,
  parseAllowNetworks,
  type AllowListProblem,
  type EgressPolicy,
  type EgressPolicyOptions,
} from './egress-policy.ts';
export { classifyAddress, isPrivateAddress, parseAddress, parseCidr } from './ip-address.ts';
export { allowEntryCovered, applyEgressFloor, egressFloorProblems, type FlooredPolicy, type GatewayEgress } from './egress-floor.ts';
