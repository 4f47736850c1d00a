/**
 * What every KAS listener shares, whatever serves it (Netty, gRPC): a bound on the connections one client host may
 * hold open, and how a {@code listen} section becomes an address and TLS. It knows no feature, only the
 * configuration model.
 */
package dev.kastor.bridge.listener;
