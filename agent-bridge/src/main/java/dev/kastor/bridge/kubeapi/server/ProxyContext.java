package dev.kastor.bridge.kubeapi.server;

import dev.kastor.bridge.observability.JsonLog;
import dev.kastor.bridge.observability.ProxyMetrics;
import dev.kastor.bridge.tunnel.server.TunnelFinder;

/** What every proxied request needs from KAS. {@code prefix} is the path the proxy is mounted on, e.g. {@code /k8s-proxy}. */
record ProxyContext(String prefix, JobAuthorizer authorizer, TunnelFinder tunnels, ProxyMetrics metrics, JsonLog log, ProxyLimits limits,
                    JobShares shares) {}
