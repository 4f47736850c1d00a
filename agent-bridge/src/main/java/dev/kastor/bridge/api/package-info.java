/**
 * KAS's API port: a small request/response HTTP server ({@link dev.kastor.bridge.api.ApiServer}) that the server and
 * the feature modules add {@link dev.kastor.bridge.api.ApiEndpoint}s to. Depends only on {@code listener} and
 * {@code observability}.
 */
package dev.kastor.bridge.api;
