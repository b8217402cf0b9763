// What the use cases, routes and CLI say about stored failures: filters, one row in summary or in
// full, and a group of rows sharing a cause. Rows themselves stay in the repository.
import type { FailedMessageStatus } from './failed-message-table.js';

export type FailedMessageFilter = {
  actor?: string | undefined;
  errorCode?: string | undefined;
  orderId?: string | undefined;
  /** Compared with the last failure time. */
  since?: Date | undefined;
  until?: Date | undefined;
  status?: FailedMessageStatus | undefined;
  fingerprint?: string | undefined;
  /** These rows only. */
  ids?: readonly number[] | undefined;
};

export type FailedMessageSummary = {
  id: number;
  messageId: string;
  status: FailedMessageStatus;
  actor: string;
  originalQueue: string | null;
  routingKey: string | null;
  errorCode: string;
  errorMessage: string;
  errorClass: string;
  deadLetterReason: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
  orderId: string | null;
  traceId: string | null;
  fingerprint: string;
  replayOf: number | null;
  storedAt: string;
};

export type FailedMessageDetail = FailedMessageSummary & {
  errorStack: string | null;
  body: { bytes: number; base64: string; json?: unknown; text?: string };
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  replayedAt: string | null;
  replayedBy: string | null;
  discardedAt: string | null;
  discardedBy: string | null;
  discardReason: string | null;
  /** When its personal data was masked (DEAD_LETTER_PII_DAYS after its last failure); a masked row is not replayed. */
  piiMaskedAt: string | null;
  /** Rows this one came back as after being replayed and failing again. */
  replays: number[];
};

export type FailureGroup = {
  groupId: string;
  actor: string;
  errorCode: string;
  /** The newest failure's message, as a sample of the cause. */
  message: string;
  count: number;
  /** How many of them are still 'new' (neither replayed nor discarded). */
  open: number;
  /** Failures of the cause in the last hour and in the hour before it: is it growing or fading? */
  trend: { lastHour: number; hourBefore: number };
  firstSeen: string;
  lastSeen: string;
  sampleId: number;
};

/** A stored message as a dry run of its replay reads it: what a replay would publish, and whether it may. */
export type StoredForReplay = Pick<FailedMessageSummary, 'id' | 'messageId' | 'status' | 'actor' | 'originalQueue' | 'errorCode' | 'orderId'> & {
  body: Buffer;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
  piiMaskedAt: string | null;
};

/** A failed message of one order, with what operators did about it, for the order's timeline. */
export type OrderFailure = FailedMessageSummary & {
  replayedAt: string | null;
  replayedBy: string | null;
  discardedAt: string | null;
  discardedBy: string | null;
  discardReason: string | null;
};
