import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { fileURLToPath } from 'node:url'

// Built into web/dist, which the API serves at / (api/app.py). Relative base: the files work
// from any mount point; routing uses the URL hash, so deep links need no server fallback.
export default defineConfig({
  base: './',
  plugins: [vue()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        manualChunks: { echarts: ['echarts'], vant: ['vant'] },
      },
    },
  },
  server: { proxy: { '/graphql': { target: 'http://127.0.0.1:8000', ws: true }, '/photos': 'http://127.0.0.1:8000' } },
})
