/**
 * The self-hosted pair: {@code kastor-agent}, which dials out from the cluster, and {@code kastor-kas}, which serves
 * the k8s proxy for CI jobs. Organised by feature ({@code tunnel}, {@code kubeapi}, {@code config},
 * {@code registration}, {@code routing}, {@code websocket}), each with an agent half and a server half; the apps that
 * assemble them ({@code kasapp}, {@code agentapp}); and leaves everyone may use: the configuration model
 * ({@code kascfg}), the module interfaces ({@code module}), the agents file ({@code agents}), the API port
 * ({@code api}), listener bounds ({@code listener}) and logs and metrics ({@code observability}). No package depends on
 * itself through others, no feature reaches into the apps, and no KAS half imports an agent half
 * ({@code PackageDependenciesTest}).
 */
package dev.kastor.bridge;
