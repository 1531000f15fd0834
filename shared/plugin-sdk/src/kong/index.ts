/**
 * Kong JavaScript PDK compatibility (`@turnpike/plugin-sdk/kong`): a module in the shape of
 * Kong's JS plugin server runs as a Turnpike plugin. The node's loader uses it for such modules;
 * a test can too: `runPlugin(fromKongJsModule(require('./js-hello.js'), 'js-hello'), …)`.
 */
export { fromKongJsModule, type KongJsModule, kongJsModule } from './adapt.ts';
export { KongPdk, kongPdkFor } from './pdk.ts';
export { schemaFromKong } from './schema.ts';
