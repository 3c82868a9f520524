import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// base './' lets the same build load from file:// in Electron and from the service's HTTP port.
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
});
