/**
 * The self-hosted pair: {@code kastor-agent}, which dials out from the cluster, and {@code kastor-kas}, which serves
 * the k8s proxy for CI jobs. Organised by feature ({@code tunnel}, {@code kubeapi}, {@code config},
 * {@code registration}, {@code flux}, {@code routing}), each with an agent half and a server half.
 */
package dev.kastor.bridge;
