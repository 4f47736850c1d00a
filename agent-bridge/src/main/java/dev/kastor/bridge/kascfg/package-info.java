/**
 * The KAS configuration file's model ({@link dev.kastor.bridge.kascfg.KasConfig}): every key, default and check in
 * one leaf package that feature modules read their section from and that imports no feature (GitLab's agent:
 * {@code pkg/kascfg}).
 */
package dev.kastor.bridge.kascfg;
