/**
 * What every KAS listener shares, whatever serves it (Netty, gRPC): a bound on the connections one client host may
 * hold open, and how a {@code listen} section becomes an address (TCP, or a UNIX socket file) and TLS; and how a
 * client dials a UNIX socket. It knows no feature, only the configuration model.
 */
package dev.kastor.bridge.listener;
