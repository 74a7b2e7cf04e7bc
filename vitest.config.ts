import { defineConfig } from 'vitest/config';

// Two projects: `unit` is the pure core (fast, no privileges); `integration`
// needs root, network namespaces and real peers (gobgpd, FRR, BIRD, ExaBGP, OVS).
// CI runs both (as root). Integration files end in `.int.test.ts`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Namespaces, daemons and the kernel table are shared machine state:
          // integration files run one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
