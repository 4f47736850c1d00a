/**
 * The two halves every feature of the bridge plugs in as: {@link dev.kastor.bridge.module.KasModule} in
 * {@code kastor-kas}, {@link dev.kastor.bridge.module.AgentModule} in {@code kastor-agent}. Adding a feature means
 * adding its package and one line to each list (in {@code Kas} and {@code Agent}); nothing else learns about it.
 */
package dev.kastor.bridge.module;
