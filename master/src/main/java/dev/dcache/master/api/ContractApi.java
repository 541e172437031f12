package dev.dcache.master.api;

import io.javalin.config.JavalinConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /openapi.json}: the OpenAPI 3.1 document of the public API (docs/api.md), the
 * {@value #RESOURCE} resource of this module, read once when the master starts and served as it is.
 * The integration test {@code OpenApiContractIT} holds the running master to it.
 */
public final class ContractApi {
    /** Where the document sits on the class path. */
    public static final String RESOURCE = "/openapi.json";

    private final byte[] document;

    /** @throws IllegalStateException when the document is missing from the class path (a broken build) */
    public ContractApi() {
        try (InputStream in = ContractApi.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the master's class path");
            }
            this.document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE, e);
        }
    }

    public void register(JavalinConfig config) {
        config.routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(document));
    }
}
