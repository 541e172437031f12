package dev.dcache.common.wire;

/**
 * The aux node's internal HTTP API, used only by masters. Single-key calls pass the key as a
 * query parameter (percent-encoded), which avoids every path-segment ambiguity of arbitrary keys.
 *
 * <ul>
 *   <li>{@code GET ENTRY?key=K} - 200 {@link Entry} when live or a tombstone (value null), 404 when
 *   the node holds nothing for the key</li>
 *   <li>{@code PUT ENTRY} body {@link Entry} - 200 {@link PutOutcome}</li>
 *   <li>{@code DELETE ENTRY?key=K&version=V} - 200 {@link DeleteOutcome}</li>
 *   <li>{@code POST BATCH_GET} body {@code ["k", ...]} - 200 {@code [Entry, ...]} (live ones)</li>
 *   <li>{@code POST BATCH_PUT} body {@code [Entry, ...]} - 200 {@link BatchPutOutcome}</li>
 *   <li>{@code POST BATCH_DELETE} body {@code [KeyVersion, ...]} - 200 {@code ["k", ...]}: keys that were live</li>
 *   <li>{@code POST HEARTBEAT} body {@link Heartbeat} - 200 {@link HeartbeatReply}</li>
 *   <li>{@code GET DUMP} - 200 {@code [Entry, ...]}: every unexpired record, for operators and tests</li>
 *   <li>{@code POST SYNC} body {@link SyncRequest} - 200 {@link SyncReply}: the records two nodes own whose
 *   bucket digests differ (anti-entropy, recovery)</li>
 * </ul>
 * A node that does not serve reads right now (recovering, draining) answers single reads,
 * {@code BATCH_GET} and writes marked {@code ordering=true} (the key's ordering owner, see
 * {@code dev.dcache.common.client.WriteMode}) with 503 and the header {@link #NOT_SERVING_HEADER}:
 * ask another owner.
 */
public final class InternalPaths {
    public static final String ENTRY = "/internal/entry";
    public static final String BATCH_GET = "/internal/batch/get";
    public static final String BATCH_PUT = "/internal/batch/put";
    public static final String BATCH_DELETE = "/internal/batch/delete";
    public static final String HEARTBEAT = "/internal/heartbeat";
    public static final String DUMP = "/internal/dump";
    public static final String SYNC = "/internal/sync";
    /** Query parameter ({@code =true}) of {@code PUT/DELETE ENTRY} and {@code BATCH_PUT}: an ordering write. */
    public static final String ORDERING_PARAM = "ordering";
    /** Query parameter of an ordering {@code PUT/DELETE ENTRY}: the client request id it carries out. */
    public static final String REQUEST_ID_PARAM = "request";
    /** Set (to "true") on a 503 from an aux node that does not serve reads now. */
    public static final String NOT_SERVING_HEADER = "X-Dcache-Not-Serving";
    public static final String HEALTH = "/health";
    /** On masters: {@code POST} body {@code [Entry, ...]}, records an aux node moved, for the backup. */
    public static final String BACKUP = "/internal/backup";
    /**
     * On masters: {@code POST} body {@link Invalidation}, keys another master just wrote; the
     * receiver drops its near-cache copies of them. Answers {@code {"invalidated": n}}.
     */
    public static final String INVALIDATE = "/internal/invalidate";

    private InternalPaths() {
    }
}
