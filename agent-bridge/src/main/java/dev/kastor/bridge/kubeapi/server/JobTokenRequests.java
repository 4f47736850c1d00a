package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.api.ApiRequest;
import dev.kastor.bridge.api.ApiResponse;
import java.util.List;

/**
 * API port requests a CI job makes with its {@code CI_JOB_TOKEN} in header {@code JOB-TOKEN} ({@code /api/v1/job/agents},
 * flux's {@code oci-push}): one way to read the token and to answer a refusal.
 */
public final class JobTokenRequests {
    private JobTokenRequests() {}

    /** The job is not let in; {@link #response} says why (401 token, 503 GitLab unreachable), as {@code {"message": …}}. */
    public static final class Refused extends Exception {
        private final transient ApiResponse response;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.response = ApiResponse.message(status, message);
        }

        public ApiResponse response() {
            return response;
        }
    }

    /** Every agent the job of the request's {@code JOB-TOKEN} may use, as {@code authorizer} decides. */
    public static List<JobAuthorizer.AllowedAgent> allowedAgents(JobAuthorizer authorizer, ApiRequest request)
            throws Refused, InterruptedException {
        String token = request.header("JOB-TOKEN");
        if (token == null || token.isBlank()) throw new Refused(401, "missing JOB-TOKEN header (the job's CI_JOB_TOKEN)");
        try {
            return authorizer.allowedAgents(token);
        } catch (ProxyFailure f) {
            throw new Refused(f.status().code(), f.status().message());
        }
    }
}
