/**
 * The receptive feature's agent half: {@link dev.kastor.bridge.receptive.agent.ReceptiveListener} accepts KAS's
 * connections ({@code --listen}, only with a client certificate of {@code --listen-client-ca}) and is the transport of
 * one more gRPC channel of the agent, on which the agent's usual modules run. It is a transport, not a module: it
 * exists before the channel the modules are started on (as {@code websocket.agent}).
 */
package dev.kastor.bridge.receptive.agent;
