/**
 * {@code kastor-agent} as an app: {@link dev.kastor.bridge.agentapp.Agent} dials KAS and runs the features' {@code agent}
 * halves against the cluster's API server. Named apart from those halves, which never import it (GitLab's agent:
 * {@code cmd/agentk/agentkapp}).
 */
package dev.kastor.bridge.agentapp;
