import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildConfig } from '@turnpike/shared/config';
import { type Asset, indexUnder } from './assets.ts';

describe('admin_gui_path', () => {
  it("index.html's relative references go under the prefix, and the prefix is named for the app", () => {
    const index: Asset = {
      body: Buffer.from(
        '<head>\n<script type="module" src="./assets/a.js"></script><link href="./favicon.svg">',
      ),
      gzip: undefined,
      type: 'text/html',
      cacheControl: 'no-cache',
    };
    const html = indexUnder(index, '/manager').body.toString();
    assert.match(html, /src="\/manager\/assets\/a\.js"/);
    assert.match(html, /href="\/manager\/favicon\.svg"/);
    assert.match(html, /<meta name="turnpike-gui-path" content="\/manager" \/>/);
    assert.match(indexUnder(index, '/').body.toString(), /src="\/assets\/a\.js"/);
  });

  it("the configuration refuses a malformed path in Kong's words", () => {
    for (const [value, words] of [
      ['manager', "must start with a slash ('/')"],
      ['/manager/', "must not end with a slash ('/')"],
      ['/man ager', "can only contain letters, digits, hyphens ('-'), underscores ('_'), and slashes ('/')"],
      ['/a//b', "must not contain continuous slashes ('/')"],
    ]) {
      assert.throws(
        () => buildConfig({ env: { TURNPIKE_ADMIN_GUI_PATH: value! }, cwd: '/tmp' }),
        (error: Error) => error.message.includes(`admin_gui_path (from `) && error.message.includes(words!),
        value,
      );
    }
    const { config } = buildConfig({ env: { TURNPIKE_ADMIN_GUI_PATH: '/a/b-c_d' }, cwd: '/tmp' });
    assert.equal(config.admin_gui_path, '/a/b-c_d');
    assert.equal(buildConfig({ env: {}, cwd: '/tmp' }).config.admin_gui_path, '/');
  });
});
