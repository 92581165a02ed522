import { svelte } from '@sveltejs/vite-plugin-svelte';
import path from 'node:path';
import { defineConfig } from 'vite';
import { scopeBounds } from './scope-bounds.plugin.ts';

// The client is built into client/dist and served by the GraphQL server at /.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [svelte(), scopeBounds(path.resolve(import.meta.dirname, '../seeds/data/geo'))],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
    // MapLibre in its own file: the app's code changes far more often, and its size is seen apart.
    rollupOptions: { output: { manualChunks: (id: string) => (id.includes('node_modules/maplibre-gl') ? 'maplibre' : undefined) } },
  },
  server: { proxy: { '/graphql': 'http://localhost:4000', '/export': 'http://localhost:4000' } },
});
