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
