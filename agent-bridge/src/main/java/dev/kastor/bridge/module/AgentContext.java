package dev.kastor.bridge.module;

import dev.kastor.bridge.observability.JsonLog;

/**
 * What an agent module is built from: the log, the agent's version (sent to KAS), the tunings and the parts the
 * agent and earlier modules provided (the agent provides its {@code KubeApiUpstream}).
 */
public record AgentContext(JsonLog log, String version, Tunings tunings, Parts parts) {}
