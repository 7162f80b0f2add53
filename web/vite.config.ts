import { defineConfig } from 'vite';

// The server (runner/) serves web/dist and the API on one origin. In development, Vite serves the
// app and forwards the API and the WebSocket to that server.
const serverOrigin = 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod ships `@__PURE__` comments Rollup cannot place; it drops them, which changes nothing.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/zod/')) return;
        warn(warning);
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: serverOrigin, changeOrigin: false },
      '/ws': { target: serverOrigin, ws: true, changeOrigin: false },
    },
  },
  preview: {
    host: '127.0.0.1',
  },
});
