import { defineIsolationSuite } from './support/isolationSuite.js';

/** The isolation and SSRF suite, in the full reliability run. */
defineIsolationSuite('owners are isolated and image URLs cannot reach inside (full)');
