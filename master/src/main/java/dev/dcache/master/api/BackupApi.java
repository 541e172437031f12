package dev.dcache.master.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.InternalPaths;
import dev.dcache.master.backup.BackupLog;
import dev.dcache.common.http.AdmittedRoutes;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * {@code POST /internal/backup}: aux nodes send the records they moved; the master appends them
 * to its backup on the shared volume. Behind the cluster token, never routed by nginx.
 */
public final class BackupApi {
    private static final TypeReference<List<Entry>> ENTRIES = new TypeReference<>() { };

    private final BackupLog backup;
    private final ObjectMapper mapper;
    private final LongConsumer appended;

    /** @param appended told how many records each call appended (metrics) */
    public BackupApi(BackupLog backup, ObjectMapper mapper, LongConsumer appended) {
        this.backup = backup;
        this.mapper = mapper;
        this.appended = appended;
    }

    public void register(JavalinConfig config) {
        config.routes.post(InternalPaths.BACKUP, this::append);
    }

    private void append(Context ctx) throws IOException {
        List<Entry> records = mapper.readValue(AdmittedRoutes.body(ctx), ENTRIES);
        if (records == null || records.stream().anyMatch(e -> e == null || e.key() == null || e.version() <= 0)) {
            throw ApiException.badRequest("body must be an array of entries with keys and positive versions");
        }
        backup.append(records);
        appended.accept(records.size());
        ctx.json(Map.of("appended", records.size()));
    }
}
