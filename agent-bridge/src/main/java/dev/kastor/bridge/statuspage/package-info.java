/**
 * KAS's status page: agents, their Flux objects and deployments at a glance, for people signed in with a GitLab
 * personal access token or an operator token. Only a KAS half: the page reads what KAS already knows and what it can
 * ask through the agents' tunnels.
 */
package dev.kastor.bridge.statuspage;
