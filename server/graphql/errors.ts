import { GraphQLError } from 'graphql';

export type ErrorCode =
  'NOT_FOUND' | 'BAD_USER_INPUT' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'CONFLICT' | 'TOO_MANY_ATTEMPTS' | 'SERVICE_BUSY' | 'TIMEOUT' | 'INTERNAL_SERVER_ERROR';

/** An error meant for the user: a French message and a code clients can switch on. */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, ...details } });
  }
}

export const badInput = (message: string, field?: string) => new AppError('BAD_USER_INPUT', message, field ? { field } : {});

export const notFound = (message: string) => new AppError('NOT_FOUND', message);
