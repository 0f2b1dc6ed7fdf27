export { createBflProvider, toBflBody, type BflProvider } from './createBflProvider.js';
export { DEFAULT_BFL_URL, resolveBflOptions, type BflClientOptions, type ResolvedBflOptions } from './options.js';
export { BFL_STATUS, BflHandle, BflPollAnswer, BflSubmitAnswer } from './protocol.js';
export { InFlightLimiter } from './InFlightLimiter.js';
