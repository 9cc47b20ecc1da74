package kiln.server;

/**
 * An error answered to a client in OpenAI's shape, {@code {"error":{"message","type","code"}}}, with its HTTP status.
 * Never carries a stack trace to the client.
 */
public final class ApiError extends RuntimeException {
    final int status;
    final String type, code;

    ApiError(int status, String type, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
    }

    static ApiError badRequest(String message) {
        return new ApiError(400, "invalid_request_error", null, message);
    }

    static ApiError badParam(String param, String message) {
        return new ApiError(400, "invalid_request_error", "invalid_" + param, message);
    }

    static ApiError unauthorized(String message) {
        return new ApiError(401, "authentication_error", "invalid_api_key", message);
    }

    static ApiError notFound(String code, String message) {
        return new ApiError(404, "not_found_error", code, message);
    }

    static ApiError methodNotAllowed(String method, String path) {
        return new ApiError(405, "invalid_request_error", "method_not_allowed", method + " is not allowed on " + path);
    }

    static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "request_too_large", "the request body is larger than the limit of " + limit + " bytes (--max-body-size)");
    }

    static ApiError busy(int queued) {
        return new ApiError(429, "rate_limit_error", "queue_full", "the server is busy: all slots are in use and " + queued + " requests are waiting (--queue-size); retry later");
    }

    static ApiError internal(String message) {
        return new ApiError(500, "server_error", null, message);
    }
}
