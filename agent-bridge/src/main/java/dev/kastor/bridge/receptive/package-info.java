/**
 * Receptive agents: for clusters GitLab's side can reach but that cannot dial out, KAS dials the agent (TLS, KAS
 * proving itself with a client certificate) and the direction is reversed at the transport only. The agent hands each
 * accepted connection to its ordinary gRPC client as its transport, and KAS relays each dialled connection into its
 * own agent-port gRPC server, so registration, tunnels and configuration run unchanged, authenticated with the agent's
 * token as always. {@link dev.kastor.bridge.receptive.Splice} is the relay both halves use.
 */
package dev.kastor.bridge.receptive;
