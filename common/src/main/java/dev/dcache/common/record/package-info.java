/**
 * How one {@link dev.dcache.common.wire.Entry} is stored on disk: {@link dev.dcache.common.record.EntryRecords}
 * encodes and decodes a record, {@link dev.dcache.common.record.CrcFraming} frames and checks bytes with
 * CRC32C. The files around the records (aux snapshot, master backup log) stay with their owners.
 */
package dev.dcache.common.record;
