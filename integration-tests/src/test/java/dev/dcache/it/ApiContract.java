package dev.dcache.it;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.interaction.ApiOperationResolver;
import com.atlassian.oai.validator.model.ApiOperationMatch;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
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
        // the validator's own Accept check knows no */* answer: a read's raw bytes (any type) are one
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(document)
                .withLevelResolver(LevelResolver.create()
                        .withLevel("validation.request.accept.notAllowed", ValidationReport.Level.IGNORE).build())
                .build();
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
        List<String> errors = errors(validator.validateResponse(rawPath, m, response.build()));
        ApiOperationMatch match = operations.findApiOperation(rawPath, m);
        if (errors.isEmpty() && match.isPathFound() && match.isOperationAllowed()) {
            exercised.add(pair(m.name(), match.getApiOperation().getApiPath().original(), answer.status()));
        }
        return errors;
    }

    /**
     * Validates a request against the document: its path, query and header parameters, content
     * type and body. For requests the server accepts: the document must accept them too.
     *
     * @param target the request path as sent (percent-encoded), with its query if any
     * @return the validator's errors; empty when the document allows the request
     */
    List<String> checkRequest(String method, String target, Map<String, String> headers, byte[] body) {
        int q = target.indexOf('?');
        SimpleRequest.Builder request = new SimpleRequest.Builder(method, q < 0 ? target : target.substring(0, q));
        if (q >= 0) {
            for (String pair : target.substring(q + 1).split("&")) {
                String[] nameValue = pair.split("=", 2);
                request.withQueryParam(decode(nameValue[0]), nameValue.length < 2 ? "" : decode(nameValue[1]));
            }
        }
        headers.forEach(request::withHeader);
        if (body != null && body.length > 0) {
            request.withBody(body);
        }
        return errors(validator.validateRequest(request.build()));
    }

    private static String decode(String s) {
        return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static List<String> errors(ValidationReport report) {
        return report.getMessages().stream()
                .filter(msg -> msg.getLevel() == ValidationReport.Level.ERROR)
                .map(msg -> msg.getKey() + ": " + msg.getMessage())
                .toList();
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
