import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API runs on its own port in development (`canbao serve`); the dev server forwards /api to it so
// the session cookie stays same-origin, as it is in production where the server serves dist/.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: {
      '/api': { target: 'http://localhost:3000', changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Ant Design's core is one large shared chunk; the pages themselves are loaded lazily.
    chunkSizeWarningLimit: 1500,
  },
});
