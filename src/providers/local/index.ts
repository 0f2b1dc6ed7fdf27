export { createLocalProvider, SIMULATED_NOTICE, type LocalJobHandle } from './createLocalProvider.js';
export type { LocalProviderOptions } from './options.js';
export { parseIntents, describeIntent, TINT_COLOURS, type Intent, type IntentKind, type TintColour } from './intents.js';
export { localImageUrl, LOCAL_URL_SCHEME } from './OutputStore.js';
export type { FetchLike } from './readImage.js';
