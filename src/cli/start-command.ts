// `tollgate start`: runs the processor until SIGINT/SIGTERM, then shuts down cleanly.
import type { Settings } from '../config/settings.js';
import { startProcessor } from './processor-app.js';

export async function runStart(settings: Settings): Promise<number> {
  const app = await startProcessor(settings);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  app.log.info('shutting down');
  await app.stop();
  return 0;
}
