import { defineConfig } from 'vite';

// A static build: every file under dist/assets is named after its content's hash, nothing is
// inlined (the CSP allows no inline script, style or data: font), no external URL is referenced.
export default defineConfig({
  // Relative: the GUI listener serves it under admin_gui_path, and rewrites index.html's
  // `./` references to that prefix (control-plane/src/admin-gui/server.ts).
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    target: 'es2022',
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
