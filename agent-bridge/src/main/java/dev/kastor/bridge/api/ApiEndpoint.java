package dev.kastor.bridge.api;

/**
 * One path on KAS's API port. Runs on a virtual thread of its own, so it may block (ask GitLab, read a file); it
 * protects itself (the port has no authentication of its own). A runtime exception becomes a 500 and is logged.
 */
@FunctionalInterface
public interface ApiEndpoint {
    ApiResponse handle(ApiRequest request) throws InterruptedException;
}
