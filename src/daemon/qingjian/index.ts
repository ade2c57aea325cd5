/** The 轻简 bridge client and its protocol; see client.ts for the behaviour and protocol.ts for the frames. */
export * from './protocol.js';
export * from './client.js';
export { BridgeSendError, type BridgeSendErrorCode } from '../../errors.js';
