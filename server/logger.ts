import { pino } from 'pino';

/** The application logger: JSON lines on stdout, never passwords nor personal contact data. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  redact: { paths: ['password', '*.password', 'email', '*.email', 'phone', '*.phone'], censor: '[masqué]' },
});
