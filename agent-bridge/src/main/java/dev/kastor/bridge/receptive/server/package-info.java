/**
 * The receptive feature's KAS half: for each agent in {@code receptive_agents}, an
 * {@link dev.kastor.bridge.receptive.server.AgentDialer} keeps a spare TLS connection to the agent (KAS's client
 * certificate proves it is KAS) and relays each connection the agent starts using into KAS's own agent-port services,
 * served in-process for that agent alone, where a call must carry that agent's token
 * ({@link dev.kastor.bridge.receptive.server.DialedAgentCheck}).
 */
package dev.kastor.bridge.receptive.server;
