export { SessionEngine, type EngineOptions, type StartSessionInput, type EditOptions, type SessionTree, type TurnHandle, type ResumeReport } from './SessionEngine.js';
export type { EngineEvent, EngineEventType } from './events.js';
export { EventBus } from './EventBus.js';
export { FairScheduler } from './FairScheduler.js';
export type { ImageInput, ImageFetcher } from './images.js';
export { pixelDifference, type Fidelity } from './fidelity.js';
export { resolveTurnRef } from './resolveTurnRef.js';
export type { ReplayOptions, ReplayReport, ReplayStep, ReplayMode } from './replay.js';
export type { WhatIfChange, WhatIfResult, WhatIfPlanStep } from './whatIf.js';
