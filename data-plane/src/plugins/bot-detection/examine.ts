/** Kong's examine_agent: allow rules first, then deny rules, then the bot rules; results cached per instance. */
import { BOT_RULES } from './rules.ts';

export const MATCH_EMPTY = 0;
export const MATCH_ALLOW = 1;
export const MATCH_DENY = 2;
export const MATCH_BOT = 3;
export type Match = 0 | 1 | 2 | 3;

/** Kong's per-config LRU holds 10⁴ user agents; this cache is emptied when it reaches that. */
const CACHE_SIZE = 10_000;

const BOTS: readonly RegExp[] = BOT_RULES.map((rule) => new RegExp(rule));

export class AgentExaminer {
  readonly #allow: readonly RegExp[];
  readonly #deny: readonly RegExp[];
  readonly #seen = new Map<string, Match>();

  constructor(allow: readonly string[], deny: readonly string[]) {
    this.#allow = allow.map((rule) => new RegExp(rule));
    this.#deny = deny.map((rule) => new RegExp(rule));
  }

  examine(userAgent: string): Match {
    let match = this.#seen.get(userAgent);
    if (match === undefined) {
      match = this.#examine(userAgent.trim());
      if (this.#seen.size >= CACHE_SIZE) this.#seen.clear();
      this.#seen.set(userAgent, match);
    }
    return match;
  }

  #examine(agent: string): Match {
    for (const rule of this.#allow) if (rule.test(agent)) return MATCH_ALLOW;
    for (const rule of this.#deny) if (rule.test(agent)) return MATCH_DENY;
    for (const rule of BOTS) if (rule.test(agent)) return MATCH_BOT;
    return MATCH_EMPTY;
  }
}
