package dev.kastor.bridge.module;

import dev.kastor.bridge.agents.AgentStore;
import dev.kastor.bridge.kascfg.KasConfig;
import dev.kastor.bridge.observability.JsonLog;

/**
 * What a KAS module is built from: the whole configuration (each module reads its own section), the log, the
 * registered agents, the tunings and the parts earlier modules provided.
 */
public record KasContext(KasConfig config, JsonLog log, AgentStore agents, Tunings tunings, Parts parts) {}
