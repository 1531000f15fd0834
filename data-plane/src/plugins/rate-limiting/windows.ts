/**
 * Fixed windows as Kong aligns them: the SDK's (shared with response-ratelimiting), re-exported
 * for this plugin's files.
 */
export { PERIOD_SECONDS, resetSeconds, windowEnd, windowStart } from '@turnpike/plugin-sdk';
