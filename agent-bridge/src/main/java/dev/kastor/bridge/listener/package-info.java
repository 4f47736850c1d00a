/**
 * What every KAS listener shares, whatever serves it (Netty, gRPC): a bound on the connections one client host may
 * hold open. A leaf: it knows no feature.
 */
package dev.kastor.bridge.listener;
