package dev.dcache.it;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.interaction.ApiOperationResolver;
import com.atlassian.oai.validator.model.ApiOperationMatch;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An OpenAPI 3.1 document and what has been checked against it: every answer handed to
 * {@link #check} is validated (status, required headers and header values, content type, body
 * against the schema of that status and content type) by the Atlassian OpenAPI validator, and the
 * (method, path template, status) it exercised is remembered, so that {@link #unexercised} can
 * name every documented answer that was never seen.
 */
final class ApiContract {
    private final OpenAPI api;
    private final OpenApiInteractionValidator validator;
    private final ApiOperationResolver operations;
    private final Set<String> exercised = ConcurrentHashMap.newKeySet();

    /** One answer as it came off the wire; {@code body} is empty when there was none. */
    record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream()).findFirst().orElse(null);
        }

        String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * Parses {@code document}.
     *
     * @throws IllegalArgumentException when it is not a valid OpenAPI document ({@link #problems})
     */
    ApiContract(String document) {
        SwaggerParseResult parsed = parse(document);
        if (parsed.getOpenAPI() == null || !messages(parsed).isEmpty()) {
            throw new IllegalArgumentException("not a valid OpenAPI document: " + messages(parsed));
        }
        this.api = parsed.getOpenAPI();
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(document).build();
        this.operations = new ApiOperationResolver(api, null, false);
    }

    /**
     * What the parser finds wrong with {@code document}: unknown or missing fields, references that
     * lead nowhere, a document that is not OpenAPI at all; empty for a valid document.
     */
    static List<String> problems(String document) {
        SwaggerParseResult parsed = parse(document);
        return parsed.getOpenAPI() == null && messages(parsed).isEmpty()
                ? List.of("not an OpenAPI document") : messages(parsed);
    }

    private static SwaggerParseResult parse(String document) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        options.setValidateInternalRefs(true);
        return new OpenAPIV3Parser().readContents(document, null, options);
    }

    private static List<String> messages(SwaggerParseResult parsed) {
        return parsed.getMessages() == null ? List.of() : List.copyOf(parsed.getMessages());
    }

    /** The document's {@code openapi} field. */
    String openapiVersion() {
        return api.getOpenapi();
    }

    /**
     * Validates {@code answer} to {@code method rawPath} against the document and records what it
     * exercised.
     *
     * @param rawPath the request path as sent (percent-encoded), without the query
     * @return the validator's errors; empty when the answer is one the document allows
     */
    List<String> check(String method, String rawPath, Answer answer) {
        Request.Method m = Request.Method.valueOf(method.toUpperCase(Locale.ROOT));
        SimpleResponse.Builder response = SimpleResponse.Builder.status(answer.status());
        answer.headers().forEach(response::withHeader);
        if (answer.body().length > 0) {
            response.withBody(answer.body());
        }
        ValidationReport report = validator.validateResponse(rawPath, m, response.build());
        List<String> errors = report.getMessages().stream()
                .filter(msg -> msg.getLevel() == ValidationReport.Level.ERROR)
                .map(msg -> msg.getKey() + ": " + msg.getMessage())
                .toList();
        ApiOperationMatch match = operations.findApiOperation(rawPath, m);
        if (errors.isEmpty() && match.isPathFound() && match.isOperationAllowed()) {
            exercised.add(pair(m.name(), match.getApiOperation().getApiPath().original(), answer.status()));
        }
        return errors;
    }

    /** Every documented answer, as {@code "METHOD /template status"}. */
    Set<String> documented() {
        Set<String> all = new TreeSet<>();
        api.getPaths().forEach((template, item) -> item.readOperationsMap().forEach((method, op) ->
                op.getResponses().keySet().forEach(status -> all.add(pair(method.name(), template, status)))));
        return all;
    }

    /** The documented answers no valid {@link #check} has exercised yet. */
    Set<String> unexercised() {
        Set<String> left = documented();
        left.removeAll(exercised);
        return left;
    }

    private static String pair(String method, String template, Object status) {
        return method + " " + template + " " + status;
    }
}
