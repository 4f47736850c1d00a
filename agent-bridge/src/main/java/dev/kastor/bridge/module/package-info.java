/**
 * The two halves every feature of the bridge plugs in as: {@link dev.kastor.bridge.module.KasModule} in
 * {@code kastor-kas}, {@link dev.kastor.bridge.module.AgentModule} in {@code kastor-agent}. Each half has a factory
 * that builds it from a small context (configuration, log, {@link dev.kastor.bridge.module.Tunings tunings}, and the
 * {@link dev.kastor.bridge.module.Parts parts} earlier modules provided). Adding a feature means adding its package
 * and one factory line to each list ({@code Kas.MODULES}, {@code Agent.MODULES}); nothing else learns about it.
 * As GitLab's agent: {@code internal/module/<feature>/server/factory.go}, looped over by {@code kasapp}.
 */
package dev.kastor.bridge.module;
