/**
 * The master's backup of records moved between aux nodes: {@link dev.dcache.master.backup.BackupLog}
 * appends them, checksummed and forced to disk, to this master's own file on the shared {@code BACKUP_DIR}
 * and reads every master's files merged by highest version, and {@link dev.dcache.master.backup.Restorer}
 * puts them back through the versioned batch API when a master starts and finds every aux node empty. The
 * route aux nodes send moved records to is {@code api.BackupApi}.
 */
package dev.dcache.master.backup;
