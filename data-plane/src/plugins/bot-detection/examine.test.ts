import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentExaminer, MATCH_ALLOW, MATCH_BOT, MATCH_DENY, MATCH_EMPTY } from './examine.ts';

describe('bot-detection rules', () => {
  it('check allow, then deny, then the bot rules, on the trimmed User-Agent', () => {
    const examiner = new AgentExaminer(['^Friendly'], ['HelloWorld']);
    assert.equal(examiner.examine('Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0'), MATCH_EMPTY);
    assert.equal(examiner.examine('  HelloWorld  '), MATCH_DENY);
    assert.equal(examiner.examine('Googlebot/2.1 (+http://www.google.com/bot.html)'), MATCH_BOT);
    assert.equal(examiner.examine('bingbot/2.0'), MATCH_BOT);
    assert.equal(examiner.examine('Twitterbot/1.0'), MATCH_BOT);
    assert.equal(examiner.examine('axios/1.6.0'), MATCH_BOT);
    assert.equal(examiner.examine('FriendlyCrawler/1.0'), MATCH_ALLOW);
  });
});
