/** `data` of a record is not plain, small JSON, so it could not be hashed and stored faithfully. */
export class JournalDataError extends Error {
  readonly code = "JOURNAL_DATA_INVALID";
}

/** A record field has a value the journal refuses (a non-integer time, an empty gate id…). */
export class JournalRecordError extends Error {
  readonly code = "JOURNAL_RECORD_INVALID";
}

/**
 * The chain head in the database kept moving under this journal: another connection
 * appends to the same database. One writer per database is the design.
 */
export class JournalConflictError extends Error {
  readonly code = "JOURNAL_CONFLICT";
}

/** A read-only database has no journal (not yet created by the daemon, or another file). */
export class JournalNotFoundError extends Error {
  readonly code = "JOURNAL_NOT_FOUND";
}
