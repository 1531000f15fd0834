/**
 * Kong's words for the errors nginx answers before any Lua runs (kong/error_handlers.lua BODIES),
 * as `{ "message" }` bodies: one table for the proxy and the Admin API. 431 and 405 are
 * Turnpike's (nginx answers 494 and 400 there); so is 505, for which Kong lets nginx answer with
 * its own HTML page; 426 is Kong's router's.
 */
export const KONG_STATUS_MESSAGES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  404: 'Not found',
  405: 'Method not allowed',
  408: 'Request timeout',
  411: 'Length required',
  412: 'Precondition failed',
  413: 'Payload too large',
  414: 'URI too long',
  417: 'Expectation failed',
  426: 'Please use HTTPS protocol',
  431: 'Request header or cookie too large',
  500: 'An unexpected error occurred',
  502: 'An invalid response was received from the upstream server',
  503: 'The upstream server is currently unavailable',
  504: 'The upstream server is timing out',
  505: 'HTTP version not supported',
};
