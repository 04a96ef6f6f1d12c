import { ErrorDetails, WharfError } from '@wharf/domain';
import type { WireErrorCode } from './error-codes';

/**
 * A typed error that crossed a process boundary (a command reply, an internal HTTP answer):
 * the same code, message and details, so it renders exactly as it would have in-process.
 */
export class WireError extends WharfError<WireErrorCode> {
  constructor(
    readonly code: WireErrorCode,
    message: string,
    details: ErrorDetails,
  ) {
    super(message, details);
  }
}

export interface WireErrorBody {
  code: WireErrorCode;
  message: string;
  details: ErrorDetails;
}

export function toWire(error: WharfError<WireErrorCode>): WireErrorBody {
  return { code: error.code, message: error.message, details: error.details };
}

export function fromWire(body: WireErrorBody): WireError {
  return new WireError(body.code, body.message, body.details ?? {});
}
