/**
 * {@code kastor-kas} as an app: {@link dev.kastor.bridge.kasapp.Kas} reads {@code kascfg}, builds the feature
 * modules from their factories, serves their agent services on the agent port and their endpoints on the API port,
 * and stops them. Named apart from each feature's {@code server} half, which it assembles and which
 * never imports it (GitLab's agent: {@code cmd/kas/kasapp}).
 */
package dev.kastor.bridge.kasapp;
