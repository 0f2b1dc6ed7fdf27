import { defineIsolationSuite } from './support/isolationSuite.js';

/** Isolation between token owners, and SSRF refusals (the same suite runs in the full config as isolation.full.ts). */
defineIsolationSuite('owners are isolated and image URLs cannot reach inside');
