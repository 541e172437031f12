package dev.dcache.common.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one Jackson configuration used on every wire: strict about what it reads. */
public final class Json {
    /** Nesting deeper than this is refused before it can cost stack or memory. */
    public static final int MAX_NESTING = 16;

    private Json() {
    }

    /**
     * A mapper that rejects duplicate fields, trailing tokens and deep nesting.
     *
     * @param maxStringChars longest string token accepted; set it to the body limit so that an
     *                       oversized value reaches the API's own check (a 413 naming the limit)
     */
    public static ObjectMapper mapper(int maxStringChars) {
        JsonFactory factory = JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING)
                        .maxStringLength(Math.max(maxStringChars, 1 << 20))
                        .build())
                .build();
        return JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }
}
