export { createEgressAgent } from './egress-agent.ts';
export { createEgressDispatcher, type EgressDispatcher } from './egress-dispatcher.ts';
export { checkTargetUrl, createEgressPolicy, parseAllowNetworks } from './egress-policy.ts';
export { allowEntryCovered, applyEgressFloor, egressFloorProblems } from './egress-floor.ts';
